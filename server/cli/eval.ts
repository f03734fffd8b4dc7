import { Command } from 'commander';
import { parseTunedConfig } from '../../core/config.js';
import { describeCostSource } from '../../core/cost.js';
import { readJsonFile } from '../../native-models/json-file.js';
import { evaluateTunedConfig } from '../../core/tune.js';
import { formatReport } from './format.js';
import { collect } from './options.js';
import { stderrProgress } from './progress.js';
import { addRunLogOptions, cliEmbedderFactory, configPricing, formatCostSource, loadRunLogs, type RunLogFlags } from './runlogs.js';

/** Reads and validates a tuned config file; errors name the file and the field. */
export async function readTunedConfig(path: string) {
  const raw = await readJsonFile(path, 'tuned config');
  return parseTunedConfig(raw, path);
}

/** `cascade-lab eval`: a tuned config on a run log, on its own test split when the log has it. */
export function register(program: Command): void {
  addRunLogOptions(program.command('eval'))
    .description("Evaluate a tuned config on run logs: on the config's test split when the logs hold its train queries, else on all queries")
    .requiredOption('--config <file>', 'tuned config (the output of `cascade-lab tune`)')
    .requiredOption('--data <dir>', 'run log (folder or file); repeat to join several', collect)
    .option('--embedding-cache <dir>', 'on-disk embedding cache of gguf/openai embedders (default: ~/.cache/cascade-lab/embeddings)')
    .option('--json', 'print the report as one JSON object', false)
    .action(async (flags: RunLogFlags & { config: string; data: string[]; json: boolean; embeddingCache?: string }) => {
      const config = await readTunedConfig(flags.config);
      const progress = stderrProgress('eval');
      const embedders = cliEmbedderFactory(flags.embeddingCache);
      try {
        const log = await loadRunLogs(flags.data, flags);
        const report = await evaluateTunedConfig(config, log, { embedderFactory: embedders.factory, onProgress: progress.onProgress });
        const costSource = describeCostSource(log, config.cost.metric, configPricing(config, flags.config));
        process.stdout.write(flags.json ? JSON.stringify({ ...report, costSource, notes: log.notes ?? [] }) + '\n' : `${formatCostSource(costSource, log.notes)}\n\n${formatReport(report, config)}\n`);
      } finally {
        progress.stop();
        await embedders.dispose();
      }
    });
}
