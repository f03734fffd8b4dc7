import { Command, Option } from 'commander';
import { CostMetricSchema } from '../../core/cost.js';
import { parseEmbedderSpec } from '../../core/embedder.js';
import type { TunedConfig } from '../../core/config.js';
import { OutOfRangeError } from '../../core/errors.js';
import type { OperatingCriterion } from '../../core/frontier/operating-point.js';
import type { Backend } from '../../core/hardware.js';
import { sliceRunLog } from '../../core/runlog-slice.js';
import { resolveTuneOptions, tune, type TuneOptions } from '../../core/tune.js';
import { unansweredByModel } from '../../core/unanswered.js';
import { formatReport, formatUnanswered } from './format.js';
import { collect, commaList, finiteNumber, integer } from './options.js';
import { stderrProgress } from './progress.js';
import { addRunLogOptions, cliEmbedderFactory, formatCostSource, loadForCost, toolInfo, type RunLogFlags } from './runlogs.js';
import { checkOutFile, writeOutFile } from './output.js';

interface TuneFlags extends RunLogFlags {
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
  confidence: number;
  folds: number;
  tasks?: string[];
  models?: string[];
  excludeModels?: string[];
}

/**
 * The config with the backend that measured each routed model's TPOT in its provenance, when its
 * costs came from measured local TPOT (a TPOT from a CPU fallback is not one from a GPU).
 */
export function withTpotBackends(config: TunedConfig, backends: Record<string, Backend>): TunedConfig {
  const routed = Object.fromEntries(config.pool.filter((p) => backends[p.model] !== undefined).map((p) => [p.model, backends[p.model]]));
  return Object.keys(routed).length ? { ...config, provenance: { ...config.provenance, backend: routed } } : config;
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
  addRunLogOptions(program.command('tune'))
    .description('Tune on run logs: split by query, embed, cluster, route each cluster by error + λ·cost (stage 1), add the QE cascade (stage 2, unless --no-cascade), and report on the held-out queries')
    .requiredOption('--data <dir>', 'run log (folder or file); repeat to join several', collect)
    .addOption(new Option('--cost <metric>', 'cost metric').choices(CostMetricSchema.options).default('usd'))
    .addOption(new Option('--budget <x>', 'pick the most accurate region whose cost per query is certified to fit (metric units)').argParser(finiteNumber).conflicts(['targetRetention', 'lambda']))
    .addOption(new Option('--target-retention <r>', 'pick the cheapest region certified to keep this share of the strongest model\'s accuracy (default 0.99)').argParser(finiteNumber).conflicts(['lambda']))
    .addOption(new Option('--lambda <l>', 'pick the region at this λ (error + λ·cost/scale; unitless, ≥ 0)').argParser(finiteNumber))
    .addOption(new Option('--confidence <c>', 'confidence of the certificate, in [0, 1); 0 keeps the cross-fitted point estimate alone').argParser(finiteNumber).default(0.9))
    .addOption(new Option('--folds <n>', 'cross-fitting folds of the frontier\'s out-of-sample estimates').argParser(integer).default(5))
    .option('--tasks <list>', 'tune on these tasks only (comma-separated; a family matches its subsets)', commaList)
    .option('--models <list>', 'tune on these models only (comma-separated)', commaList)
    .option('--exclude-models <list>', 'leave these models out (comma-separated)', commaList)
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
        confidence: flags.confidence,
        folds: flags.folds,
        ...(!flags.cascade && { cascade: false }),
        tool: toolInfo(),
      };
      // Settings are checked before the (slow) run-log load, so a typo fails at once.
      resolveTuneOptions(options);
      checkOutFile(flags.out, '--out');
      const progress = stderrProgress('tune');
      const embedders = cliEmbedderFactory(flags.embeddingCache);
      try {
        const loaded = await loadForCost(flags.data, flags, flags.cost);
        const log = sliceRunLog(loaded.log, { ...(flags.tasks && { tasks: flags.tasks }), ...(flags.models && { models: flags.models }), ...(flags.excludeModels && { excludeModels: flags.excludeModels }) });
        // Pool figures for models the slice left out have nothing to price.
        if (loaded.perModel) options.pricing = { perModel: Object.fromEntries(Object.entries(loaded.perModel).filter(([m]) => log.models.includes(m))) };
        const tuned = await tune(log, { ...options, embedderFactory: embedders.factory, onProgress: progress.onProgress });
        const { report } = tuned;
        const config = withTpotBackends(tuned.config, flags.cost === 'tpot' ? (loaded.tpotBackends ?? {}) : {});
        await writeOutFile(flags.out, JSON.stringify(config) + '\n', '--out');
        const unanswered = unansweredByModel(log);
        // Where the cost of each model tuned on comes from: the slice's models, not the whole log's.
        const costSource = { ...loaded.costSource, models: Object.fromEntries(Object.entries(loaded.costSource.models).filter(([m]) => log.models.includes(m))) };
        const unansweredText = formatUnanswered(unanswered, log.queries.length);
        process.stdout.write(flags.json
          ? JSON.stringify({ ...report, costSource, notes: log.notes ?? [], unansweredByModel: unanswered, config: flags.out }) + '\n'
          : `${formatCostSource(costSource, log.notes)}\n\n${formatReport(report, config)}${unansweredText && `\n\n${unansweredText}`}\n\nTuned config written to ${flags.out}\n`);
      } finally {
        progress.stop();
        await embedders.dispose();
      }
    });
}
