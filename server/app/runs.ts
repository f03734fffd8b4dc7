import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { AppEvent, RunInfo, RunRequest } from '../../core/app-api.js';
import { InvalidInputError } from '../../core/errors.js';
import { findTierSpec } from '../../core/pool.js';
import { BenchmarkRun } from '../../native-models/runs/benchmark-runner.js';
import { loadBenchmark } from '../../native-models/runs/benchmark.js';
import { exportSharedFormat } from '../../native-models/runs/export.js';
import { RunStore } from '../../native-models/runs/run-store.js';
import type { TierPool } from '../../native-models/tiers/pool.js';

export interface RunManagerOptions {
  /** Holds runs.sqlite (answers as they finish, so a run resumes after a crash) and each run's exported run log. */
  dir: string;
  emit: (event: AppEvent) => void;
}

export interface StartRunOptions extends RunRequest {
  /** The data set's folder (its questions are the benchmark). */
  benchPath: string;
  /** The workspace's pool, lent: a run uses its tiers and leaves them loaded. */
  pool: TierPool;
  /** Called once the run has ended (done, failed or its start refused): the lender may let the pool go. */
  onSettled?: () => void;
}

interface LiveRun {
  info: RunInfo;
  runs: BenchmarkRun[];
}

/**
 * Benchmark runs from the app: each tier of a run answers the data set's questions through
 * native-models/runs (graded and stored one by one), with progress, pause and resume; when every
 * tier has finished, the run is exported as a shared-format run log in `outDir`, loadable as a workspace.
 */
export class RunManager {
  readonly #options: RunManagerOptions;
  readonly #runs = new Map<string, LiveRun>();
  #store: RunStore | null = null;

  constructor(options: RunManagerOptions) {
    this.#options = options;
  }

  list(): RunInfo[] {
    return [...this.#runs.values()].map((r) => structuredClone(r.info));
  }

  async start(o: StartRunOptions): Promise<RunInfo> {
    try {
      return await this.#start(o);
    } catch (err) {
      o.onSettled?.();
      throw err;
    }
  }

  async #start(o: StartRunOptions): Promise<RunInfo> {
    const pool = o.pool.loaded.pool;
    const names = o.tiers ?? pool.tiers.map((t) => t.name);
    const specs = names.map((n) => findTierSpec(pool, n, 'startRun'));
    const bench = await loadBenchmark(o.benchPath);
    const queries = o.limit ? bench.queries.slice(0, o.limit) : bench.queries;
    this.#store ??= RunStore.open(join(this.#options.dir, 'runs.sqlite'));
    const store = this.#store;
    const runId = `run-${new Date().toISOString().replaceAll(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
    // Tiers first: a model that fails to load leaves no run row behind.
    const loaded = await o.pool.acquire(names);
    store.ensureRun(runId, { path: bench.path, sha256: bench.sha256, queries });
    const tiers = names.map((n) => loaded.get(n)!);
    for (const spec of specs) store.setPrice(runId, spec.name, { usdPerMtokIn: spec.usdPerMtokIn, usdPerMtokOut: spec.usdPerMtokOut });
    const info: RunInfo = {
      runId, dataSet: o.dataSet, state: 'running', total: queries.length,
      tiers: specs.map((s) => ({ tier: s.name, done: 0, errors: 0, lastError: null, unanswered: {}, summary: null })),
      startedAt: new Date().toISOString(), outDir: join(this.#options.dir, runId),
    };
    const live: LiveRun = { info, runs: tiers.map((tier) => BenchmarkRun.start({ store, runId, tier, concurrency: o.concurrency ?? 1 })) };
    this.#runs.set(runId, live);
    for (const run of live.runs) {
      const row = info.tiers.find((t) => t.tier === run.tier)!;
      run.on('event', (e) => {
        if (e.type === 'answer' || e.type === 'start' || e.type === 'paused' || e.type === 'resumed') row.done = e.done;
        if (e.type === 'unanswered') {
          row.done = e.done;
          row.unanswered[e.reason] = (row.unanswered[e.reason] ?? 0) + 1;
        }
        if (e.type === 'failure') {
          row.errors++;
          row.lastError = e.error.message;
          this.#options.emit({ type: 'run.tierError', runId, tier: e.tier, qid: e.qid, message: e.error.message });
        }
        if (e.type === 'finish') {
          const s = e.summary;
          row.done = s.done;
          row.unanswered = s.unanswered;
          row.summary = {
            answered: s.answered, correct: s.correct, accuracy: s.answered ? s.accuracy : null, inputTokens: s.inputTokens, outputTokens: s.outputTokens,
            costUsd: s.costUsd, elapsedS: s.elapsedS, ttftMsMedian: s.ttftMsMedian, tpotMsMedian: s.tpotMsMedian,
          };
        }
        this.#progress(live);
      });
    }
    // A progress listener that throws must not become an unhandled rejection: the run is marked failed.
    this.#finish(live, store).catch((err: unknown) => {
      live.info.state = 'failed';
      live.info.tiers.forEach((t) => (t.lastError ??= (err as Error).message));
    }).finally(() => o.onSettled?.());
    return structuredClone(info);
  }

  async #finish(live: LiveRun, store: RunStore): Promise<void> {
    const outcomes = await Promise.allSettled(live.runs.map((r) => r.done));
    outcomes.forEach((o, i) => {
      if (o.status === 'rejected') live.info.tiers[i].lastError = (o.reason as Error).message;
    });
    try {
      await exportSharedFormat(store.toRunLog(live.info.runId), live.info.outDir, `Recorded by Cascade Lab (run ${live.info.runId})`);
      live.info.state = outcomes.some((o) => o.status === 'rejected') ? 'failed' : 'done';
    } catch (err) {
      live.info.state = 'failed';
      live.info.tiers.forEach((t) => (t.lastError ??= (err as Error).message));
    }
    this.#progress(live);
  }

  #progress(live: LiveRun): void {
    this.#options.emit({ type: 'run.progress', run: structuredClone(live.info) });
  }

  #get(runId: string, method: string): LiveRun {
    const live = this.#runs.get(runId);
    if (!live) throw new InvalidInputError(`no run "${runId}"`, method);
    return live;
  }

  pause(runId: string): RunInfo {
    const live = this.#get(runId, 'pauseRun');
    if (live.info.state === 'running') {
      live.runs.forEach((r) => r.pause());
      live.info.state = 'paused';
      this.#progress(live);
    }
    return structuredClone(live.info);
  }

  resume(runId: string): RunInfo {
    const live = this.#get(runId, 'resumeRun');
    if (live.info.state === 'paused') {
      live.info.state = 'running';
      live.runs.forEach((r) => r.resume());
      this.#progress(live);
    }
    return structuredClone(live.info);
  }

  /** Stops every run (stored answers stay for a later resume) and closes the store; safe to call twice. */
  async dispose(): Promise<void> {
    await Promise.allSettled([...this.#runs.values()].flatMap((r) => r.runs.map((run) => run.stop())));
    this.#runs.clear();
    this.#store?.close();
    this.#store = null;
  }
}
