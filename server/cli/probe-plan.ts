import { Command, Option } from 'commander';
import { probePlan } from '../../core/adapt.js';
import { loadBaseLog } from './adapt.js';
import { readTunedConfig } from './eval.js';
import { table } from './format.js';
import { collect, integer } from './options.js';
import { stderrProgress } from './progress.js';
import { cliEmbedderFactory } from './runlogs.js';
import { checkOutFile, writeOutFile } from './output.js';

interface ProbePlanFlags {
  config: string;
  perCluster: number;
  seed?: number;
  base?: string[];
  out?: string;
  json: boolean;
  embeddingCache?: string;
}

/** `cascade-lab probe-plan`: which training queries a new model must answer before `adapt`. */
export function register(program: Command): void {
  program
    .command('probe-plan')
    .description('List the training queries a new model must answer (a seeded sample per cluster) so that `adapt` can add it')
    .requiredOption('--config <file>', 'tuned config')
    .addOption(new Option('--per-cluster <n>', 'queries per cluster').argParser(integer).default(20))
    .addOption(new Option('--seed <s>', 'seed of the sample (default: the config\'s seed)').argParser(integer))
    .option('--base <dir>', 'the run log the config was tuned on (default: the paths in its provenance); repeatable', collect)
    .option('--out <file>', 'write the probe queries as questions.jsonl (the shared run-log format) for a run of the new model')
    .option('--embedding-cache <dir>', 'on-disk embedding cache of gguf/openai embedders')
    .option('--json', 'print the plan as one JSON object', false)
    .action(async (flags: ProbePlanFlags) => {
      if (flags.out) checkOutFile(flags.out, '--out');
      const config = await readTunedConfig(flags.config);
      const progress = stderrProgress('probe-plan');
      const embedders = cliEmbedderFactory(flags.embeddingCache);
      try {
        const log = await loadBaseLog(config, flags.base);
        const plan = await probePlan(config, log, flags.perCluster, { embedderFactory: embedders.factory, onProgress: progress.onProgress, ...(flags.seed !== undefined && { seed: flags.seed }) });
        if (flags.out) {
          const lines = plan.map((p) => JSON.stringify({ qid: p.qid, task: p.task, prompt: p.prompt, reference: p.reference, ...(p.promptTokens !== null && { prompt_tokens: p.promptTokens }) }));
          await writeOutFile(flags.out, lines.join('\n') + '\n', '--out');
        }
        process.stdout.write(
          flags.json
            ? JSON.stringify({ perCluster: flags.perCluster, queries: plan.map(({ prompt: _p, ...rest }) => rest), ...(flags.out && { out: flags.out }) }) + '\n'
            : `${table(['cluster', 'qid', 'task', 'prompt'], plan.map((p) => [p.cluster, p.qid, p.task, p.prompt.replace(/\s+/g, ' ').slice(0, 60)]), ['r', 'l', 'l', 'l'])}\n${plan.length} queries${flags.out ? `, written to ${flags.out}` : ''}\n`,
        );
      } finally {
        progress.stop();
        await embedders.dispose();
      }
    });
}
