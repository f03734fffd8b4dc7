import { Command } from 'commander';
import { adaptTunedConfig, formatAdaptDiff } from '../../core/adapt.js';
import type { TunedConfig } from '../../core/config.js';
import { ConflictError, InvalidInputError } from '../../core/errors.js';
import { joinRunLogs, type RunLog } from '../../core/runlog.js';
import { readTunedConfig } from './eval.js';
import { collect } from './options.js';
import { stderrProgress } from './progress.js';
import { addRunLogOptions, cliEmbedderFactory, loadRunLogs, type RunLogFlags } from './runlogs.js';
import { checkOutFile, writeOutFile } from './output.js';

/**
 * The run log a config was tuned on: `--base` paths when given, else the sources its provenance
 * records. A recorded source whose bytes changed since tuning is refused: its answers are not
 * the ones the config's statistics came from.
 */
export async function loadBaseLog(config: TunedConfig, base: string[] | undefined, flags: RunLogFlags = {}): Promise<RunLog> {
  const paths = base ?? [...new Set(config.provenance.sources.map((s) => s.path))];
  if (paths.length === 0) throw new InvalidInputError('the config records no run log; pass --base with the run log it was tuned on', '--base');
  const log = await loadRunLogs(paths, flags);
  if (!base) {
    for (const s of log.sources) {
      const recorded = config.provenance.sources.find((r) => r.path === s.path);
      if (recorded && recorded.sha256 !== s.sha256) {
        throw new ConflictError(`the run log changed since the config was tuned (sha256 ${s.sha256.slice(0, 12)}…, recorded ${recorded.sha256.slice(0, 12)}…); pass --base with the original`, s.path);
      }
    }
  }
  return log;
}

interface AdaptFlags extends RunLogFlags {
  config: string;
  data: string[];
  base?: string[];
  remove: string[];
  out: string;
  diff?: string;
  json: boolean;
  embeddingCache?: string;
}

/** `cascade-lab adapt`: add models from probe answers and/or remove models, without re-clustering. */
export function register(program: Command): void {
  addRunLogOptions(program.command('adapt'))
    .description("Change the pool of a tuned config: add models from probe answers (see probe-plan) and/or remove models; clusters stay, routes, ladder and plans are recomputed from the config's training queries only")
    .requiredOption('--config <file>', 'tuned config to adapt')
    .option('--data <dir>', 'probe run log: new models\' answers to the probe-plan queries; repeatable', collect, [])
    .option('--base <dir>', 'the run log the config was tuned on (default: the paths in its provenance); repeatable', collect)
    .option('--remove <model>', 'pool model to remove; repeatable', collect, [])
    .requiredOption('--out <file>', 'where to write the adapted config')
    .option('--diff <file>', 'where to write the diff as JSON (default: OUT with .diff.json)')
    .option('--embedding-cache <dir>', 'on-disk embedding cache of gguf/openai embedders')
    .option('--json', 'print the diff as one JSON object', false)
    .action(async (flags: AdaptFlags) => {
      if (flags.data.length === 0 && flags.remove.length === 0) throw new InvalidInputError('nothing to do: give --data with probe answers and/or --remove MODEL', 'adapt');
      const diffPath = flags.diff ?? flags.out.replace(/(\.json)?$/, '.diff.json');
      checkOutFile(flags.out, '--out');
      checkOutFile(diffPath, flags.diff ? '--diff' : '--out');
      const config = await readTunedConfig(flags.config);
      const progress = stderrProgress('adapt');
      const embedders = cliEmbedderFactory(flags.embeddingCache);
      try {
        const base = await loadBaseLog(config, flags.base, flags);
        const log = flags.data.length > 0 ? joinRunLogs([base, await loadRunLogs(flags.data, flags)]) : base;
        const { config: next, diff } = await adaptTunedConfig(config, log, { remove: flags.remove, embedderFactory: embedders.factory, onProgress: progress.onProgress });
        await writeOutFile(flags.out, JSON.stringify(next) + '\n', '--out');
        await writeOutFile(diffPath, JSON.stringify(diff, null, 2) + '\n', flags.diff ? '--diff' : '--out');
        process.stdout.write(flags.json ? JSON.stringify({ ...diff, config: flags.out, diffFile: diffPath }) + '\n' : `${formatAdaptDiff(diff, next.cost.unit)}\n\nAdapted config written to ${flags.out}, diff to ${diffPath}\n`);
      } finally {
        progress.stop();
        await embedders.dispose();
      }
    });
}
