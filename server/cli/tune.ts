import { Command, Option } from 'commander';
import writeFileAtomic from 'write-file-atomic';
import { CostMetricSchema } from '../../core/cost.js';
import { parseEmbedderSpec } from '../../core/embedder.js';
import { OutOfRangeError } from '../../core/errors.js';
import type { OperatingCriterion } from '../../core/routing.js';
import { resolveTuneOptions, tune, type TuneOptions } from '../../core/tune.js';
import { formatReport } from './format.js';
import { collect, finiteNumber, integer } from './options.js';
import { stderrProgress } from './progress.js';
import { cliEmbedderFactory, loadRunLogs, readPoolFigures, toolInfo } from './runlogs.js';

interface TuneFlags {
  data: string[];
  cost: 'usd' | 'tokens' | 'tpot' | 'latency';
  budget?: number;
  targetRetention?: number;
  lambda?: number;
  k: string;
  kRange?: string;
  embedder: string;
  trainFrac: number;
  seed: number;
  out: string;
  json: boolean;
  pool?: string;
  embeddingCache?: string;
  restarts: number;
  cvFolds: number;
  priorStrength: number;
  bootstrap: number;
  cascade: boolean;
}

/** --budget, --target-retention and --lambda are mutually exclusive ways to pick the operating point. */
export function criterionOf(flags: Pick<TuneFlags, 'budget' | 'targetRetention' | 'lambda'>): OperatingCriterion | undefined {
  if (flags.budget !== undefined) return { kind: 'budget', budget: flags.budget };
  if (flags.targetRetention !== undefined) return { kind: 'targetRetention', targetRetention: flags.targetRetention };
  if (flags.lambda !== undefined) return { kind: 'lambda', lambda: flags.lambda };
  return undefined;
}

function parseK(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new OutOfRangeError(`k must be 'auto' or an integer ≥ 1, got "${value}"`, '--k');
  return n;
}

function parseKRange(value: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(value);
  if (!m) throw new OutOfRangeError(`k range must look like FROM-TO (e.g. 1-8), got "${value}"`, '--k-range');
  return [Number(m[1]), Number(m[2])];
}

/** `cascade-lab tune`: run log(s) → tuned config, with the honest report on the held-out split. */
export function register(program: Command): void {
  program
    .command('tune')
    .description('Tune on run logs: split by query, embed, cluster, route each cluster by error + λ·cost (stage 1), add the QE cascade (stage 2, unless --no-cascade), and report on the held-out queries')
    .requiredOption('--data <dir>', 'run log (folder or file); repeat to join several', collect)
    .addOption(new Option('--cost <metric>', 'cost metric').choices(CostMetricSchema.options).default('usd'))
    .addOption(new Option('--budget <x>', 'pick the most accurate operating point whose expected cost per query fits (metric units)').argParser(finiteNumber).conflicts(['targetRetention', 'lambda']))
    .addOption(new Option('--target-retention <r>', 'pick the cheapest operating point keeping this share of the strongest model\'s accuracy on train (default 0.99)').argParser(finiteNumber).conflicts(['lambda']))
    .addOption(new Option('--lambda <l>', 'pick the operating point at this λ (unitless, ≥ 0)').argParser(finiteNumber))
    .option('--k <auto|N>', 'clusters: a number, or auto (routing-quality cross-validation within train)', 'auto')
    .option('--k-range <from-to>', 'k values tried by --k auto', '1-8')
    .option('--embedder <spec>', 'builtin | builtin:DIMS | gguf:PATH | openai:URL#MODEL', 'builtin')
    .option('--embedding-cache <dir>', 'on-disk embedding cache of gguf/openai embedders (default: ~/.cache/cascade-lab/embeddings)')
    .option('--pool <file>', 'pool file whose per-tier prices, tpotMs and latencyMs fill what the run log lacks')
    .addOption(new Option('--restarts <n>', 'k-means++ restarts of the final clustering').argParser(integer).default(4))
    .addOption(new Option('--cv-folds <n>', 'folds of the cross-validation that chooses k').argParser(integer).default(3))
    .addOption(new Option('--prior-strength <n>', 'Beta prior strength (pseudo-queries) shrinking per-cluster error rates to the model\'s global rate').argParser(finiteNumber).default(10))
    .addOption(new Option('--bootstrap <n>', 'bootstrap resamples of the confidence intervals').argParser(integer).default(1000))
    .addOption(new Option('--train-frac <f>', 'share of queries to tune on, in (0, 1)').argParser(finiteNumber).default(0.6))
    .addOption(new Option('--seed <s>', 'seed of the split, embedder, k-means and bootstrap').argParser(integer).default(0))
    .option('--no-cascade', 'tune stage 1 (cluster routing) alone, without the QE cascade')
    .option('--out <file>', 'where to write the tuned config', 'tuned.json')
    .option('--json', 'print the report as one JSON object', false)
    .action(async (flags: TuneFlags) => {
      const k = parseK(flags.k);
      const kRange = parseKRange(flags.kRange ?? '1-8');
      const embedder = parseEmbedderSpec(flags.embedder);
      const options: TuneOptions = {
        costMetric: flags.cost,
        criterion: criterionOf(flags),
        k,
        kRange,
        embedder,
        trainFraction: flags.trainFrac,
        seed: flags.seed,
        restarts: flags.restarts,
        cvFolds: flags.cvFolds,
        priorStrength: flags.priorStrength,
        bootstrapSamples: flags.bootstrap,
        ...(!flags.cascade && { cascade: false }),
        tool: toolInfo(),
      };
      // Settings are checked before the (slow) run-log load, so a typo fails at once.
      resolveTuneOptions(options);
      const progress = stderrProgress('tune');
      const embedders = cliEmbedderFactory(flags.embeddingCache);
      try {
        const log = await loadRunLogs(flags.data);
        if (flags.pool) {
          options.pricing = { perModel: await readPoolFigures(flags.pool, log.models) };
        }
        const { config, report } = await tune(log, { ...options, embedderFactory: embedders.factory, onProgress: progress.onProgress });
        await writeFileAtomic(flags.out, JSON.stringify(config) + '\n');
        process.stdout.write(flags.json ? JSON.stringify({ ...report, config: flags.out }) + '\n' : `${formatReport(report, config)}\n\nTuned config written to ${flags.out}\n`);
      } finally {
        progress.stop();
        await embedders.dispose();
      }
    });
}
