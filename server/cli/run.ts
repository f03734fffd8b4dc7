import { basename, join } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { GRADERS, type GraderName } from '../../core/graders.js';
import { findTierSpec } from '../../core/pool.js';
import { tierIdentity } from '../../native-models/tiers/tier-identity.js';
import { formatReasons } from '../../core/unanswered.js';
import { loadBenchmark } from '../../native-models/runs/benchmark.js';
import type { BenchmarkRun, RunSummary } from '../../native-models/runs/benchmark-runner.js';
import { exportSharedFormat } from '../../native-models/runs/export.js';

/** Options of `cascade-lab run`, as commander parses them. */
export interface RunCommandOptions {
  pool: string;
  tier: string;
  bench: string;
  out: string;
  /** Defaults to the benchmark's file or folder name. */
  runId?: string;
  /** Defaults to each query's task grader. */
  grader?: GraderName;
  /** Defaults to the tier's `concurrency`. */
  concurrency?: number;
  /** Defaults to `'chat'`. */
  format: 'chat' | 'prompt';
  /** Defaults to the tier's `sampling.maxTokens`. */
  maxTokens?: number;
  /** Only the first N queries (fixed when the run is created). Defaults to all. */
  limit?: number;
  /** Defaults to `true`. */
  logprobs: boolean;
  /** Defaults to `true` (a bar on stderr). */
  progress: boolean;
  /**
   * A prompt that does not fit the tier's context: `skip` records it as unanswered (reason
   * `context_length`); `clip` lets a local tier generate what fits (a prompt that leaves no room is
   * still recorded as unanswered); `fail` stops the run there. Defaults to `'skip'`.
   */
  contextOverflow: 'fail' | 'skip' | 'clip';
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a whole number > 0`);
  return n;
}

/** The run id of a benchmark path: its file or folder name without the extensions. */
export function defaultRunId(bench: string): string {
  return basename(bench.replace(/[/\\]+$/, '')).replace(/\.(jsonl|csv|tsv)(\.gz)?$/i, '');
}

/**
 * Runs a benchmark through one tier of a pool into DIR/runs.sqlite, then exports the whole run
 * (every tier run so far under this run id) to DIR in the ../shared/data format. Running the same
 * command again resumes: finished answers are kept and never redone.
 */
export async function runBenchmarkCommand(options: RunCommandOptions, signal?: AbortSignal): Promise<RunSummary> {
  // The tiers (node-llama-cpp), the runner and SQLite load when a run starts, not with the CLI.
  const [{ TierPool, loadPool }, { BenchmarkRun }, { RunStore }] = await Promise.all([
    import('../../native-models/tiers/pool.js'), import('../../native-models/runs/benchmark-runner.js'), import('../../native-models/runs/run-store.js'),
  ]);
  const loaded = loadPool(options.pool);
  const spec = findTierSpec(loaded.pool, options.tier, loaded.file);
  const bench = await loadBenchmark(options.bench);
  if (options.limit !== undefined) bench.queries = bench.queries.slice(0, options.limit);
  const store = RunStore.open(join(options.out, 'runs.sqlite'));
  const runId = options.runId ?? defaultRunId(options.bench);
  try {
    store.ensureRun(runId, bench);
    const identity = tierIdentity(spec, loaded.baseDir);
    store.checkTier(runId, spec.name, identity);
    // Clipping is the local tier's own contextOverflow; a cloud endpoint decides for itself.
    const clip = options.contextOverflow === 'clip' && spec.kind === 'local';
    const tiers = clip ? loaded.pool.tiers.map((t) => (t === spec ? { ...spec, contextOverflow: 'clip' as const } : t)) : loaded.pool.tiers;
    const pool = await TierPool.open({ ...loaded, pool: { ...loaded.pool, tiers } }, { only: [spec.name], ...(signal && { signal }) });
    const tier = pool.get(spec.name);
    try {
      // Recorded once the model has loaded: a tier that never ran leaves no row behind.
      store.recordTier(runId, spec.name, { usdPerMtokIn: spec.usdPerMtokIn, usdPerMtokOut: spec.usdPerMtokOut }, identity);
      const run = BenchmarkRun.start({
        store, runId, tier,
        concurrency: options.concurrency ?? spec.concurrency,
        format: options.format,
        logprobs: options.logprobs,
        contextOverflow: options.contextOverflow === 'fail' ? 'fail' : 'skip',
        resumeHint: 'run the same cascade-lab run command again (same --out and --run-id) to resume',
        ...(options.grader && { grader: options.grader }),
        ...(options.maxTokens !== undefined && { maxTokens: options.maxTokens }),
        ...(signal && { signal }),
      });
      if (options.progress) drawProgress(run);
      try {
        return await run.done;
      } finally {
        // Also after a failed or stopped run: what is stored is a valid (partial) run log.
        await exportSharedFormat(store.toRunLog(runId), options.out);
      }
    } finally {
      await pool.dispose();
    }
  } finally {
    store.close();
  }
}

/** A cli-progress bar on stderr with rate, ETA and accuracy so far. */
function drawProgress(run: BenchmarkRun): void {
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: `${run.tier} [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted} | right {right}%{state}`,
    etaBuffer: 20,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  let right = 0;
  let seen = 0;
  let unanswered = 0;
  run.on('event', (e) => {
    switch (e.type) {
      case 'start':
        bar.start(e.total, e.done, { rate: '0.00', right: '-', state: '' });
        break;
      case 'answer':
        right += e.correct;
        seen++;
        bar.update(e.done, { rate: e.ratePerS.toFixed(2), right: ((100 * right) / seen).toFixed(1) });
        break;
      case 'unanswered':
        unanswered++;
        bar.update(e.done, { state: ` | unanswered ${unanswered} (last: ${e.qid}, ${e.reason})` });
        break;
      case 'failure':
        bar.update(e.done, { state: ` | failed ${e.qid}: ${e.error.message.slice(0, 80)}` });
        break;
      case 'paused':
      case 'resumed':
        bar.update(e.done, { state: e.type === 'paused' ? ' | paused' : '' });
        break;
      case 'finish':
        bar.stop();
        break;
    }
  });
}

const ms = (x: number | null) => (x === null ? '—' : `${x.toFixed(1)} ms`);

/** The run's end as a few lines: what was finished, answered and right, unanswered by reason, time, tokens, cost, timings. */
export function formatRunSummary(s: RunSummary, tier: string): string {
  const unanswered = s.done - s.answered;
  return [
    `${s.aborted ? 'stopped' : 'finished'}: ${s.done}/${s.total} queries of tier "${tier}" (${s.doneThisSession} this session in ${s.elapsedS.toFixed(1)} s, ${s.failed} tier failures)`,
    `  answered:   ${s.answered}, ${s.correct} right (${(100 * s.accuracy).toFixed(1)}%)`,
    `  unanswered: ${unanswered}${unanswered ? ` (${formatReasons(s.unanswered)})` : ''}`,
    `  tokens:     ${s.inputTokens} in, ${s.outputTokens} out; cost $${s.costUsd.toFixed(6)}`,
    `  medians:    TTFT ${ms(s.ttftMsMedian)}, TPOT ${ms(s.tpotMsMedian)}`,
  ].join('\n');
}

/** Adds `run` to the cascade-lab program. */
export function register(program: Command): void {
  program
    .command('run')
    .description('Run a benchmark through one tier of a pool, grading and storing every answer (resumable); export the run log')
    .requiredOption('--pool <file>', 'pool file')
    .requiredOption('--tier <name>', 'tier of the pool to run')
    .requiredOption('--bench <path>', 'benchmark: a ../shared/data folder, questions.jsonl[.gz], or a CSV with prompt and reference columns')
    .requiredOption('--out <dir>', 'folder for runs.sqlite and the exported run log')
    .option('--run-id <id>', 'run id (same id resumes; other tiers under the same id add columns); defaults to the benchmark name')
    .addOption(new Option('--grader <name>', 'grader for every query; defaults to each task\'s grader').choices(Object.keys(GRADERS)))
    .option('--concurrency <n>', 'queries in flight at once; defaults to the tier\'s concurrency', positiveInt)
    .addOption(new Option('--format <format>', 'send prompts as a chat message or a raw completion prompt').choices(['chat', 'prompt']).default('chat'))
    .option('--max-tokens <n>', 'maximum output tokens per answer; defaults to the tier\'s setting', positiveInt)
    .option('--limit <n>', 'only the first N queries (fixed when the run is first created)', positiveInt)
    .option('--no-logprobs', 'do not ask for token log-probabilities')
    .option('--no-progress', 'no progress bar on stderr')
    .addOption(new Option('--context-overflow <mode>', 'a prompt too long for the tier\'s context: skip (record it as unanswered, reason context_length), clip (a local tier generates what fits), or fail (stop the run)').choices(['fail', 'skip', 'clip']).default('skip'))
    .action(async (options: RunCommandOptions) => {
      const controller = new AbortController();
      // Ctrl-C stops cleanly: answers in flight are dropped, stored ones stay for the resume.
      const onSignal = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      try {
        const s = await runBenchmarkCommand(options, controller.signal);
        process.stdout.write(`${formatRunSummary(s, options.tier)}\nrun log in ${options.out}\n`);
        // 130 is the shell's code for "ended by SIGINT": scripts can tell a stopped run from a finished one.
        if (s.aborted) process.exitCode = 130;
      } finally {
        process.off('SIGINT', onSignal);
      }
    });
}
