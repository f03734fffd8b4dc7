import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AppEvent, RunInfo, RunRequest, RunTierSummary } from '../../core/app-api.js';
import { InvalidInputError } from '../../core/errors.js';
import { findTierSpec } from '../../core/pool.js';
import type { Tier } from '../../core/tier.js';
import { BenchmarkRun } from '../../native-models/runs/benchmark-runner.js';
import { loadBenchmark } from '../../native-models/runs/benchmark.js';
import { exportSharedFormat, hasExport } from '../../native-models/runs/export.js';
import { RunStore, type RunInfo as StoredRun, type TierTotals } from '../../native-models/runs/run-store.js';
import { tierIdentity } from '../../native-models/tiers/tier-identity.js';
import type { TierPool } from '../../native-models/tiers/pool.js';

export interface RunManagerOptions {
  /** Holds each run's exported run log. */
  dir: string;
  /** The SQLite store of every run's answers as they finish, so a run resumes after a crash. */
  storePath: string;
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

/** A tier's end-of-run summary from its stored totals; accuracy is over the answered queries (null for none). */
function tierSummary(t: TierTotals, elapsedS: number): RunTierSummary {
  return {
    answered: t.answered, correct: t.correct, accuracy: t.answered ? t.correct / t.answered : null, inputTokens: t.inputTokens, outputTokens: t.outputTokens,
    costUsd: t.costUsd, elapsedS, ttftMsMedian: t.ttftMsMedian, tpotMsMedian: t.tpotMsMedian,
  };
}

export interface ResumeStoredOptions {
  runId: string;
  /** The workspace's pool, lent: it must have a tier of each of the run's tier names. */
  pool: TierPool;
  /** Called once the run has ended (done, failed or its resume refused). */
  onSettled?: () => void;
}

/**
 * Benchmark runs from the app: each tier of a run answers the data set's questions through
 * native-models/runs (graded and stored one by one), with progress, pause and resume; when every
 * tier has finished, the run is exported as a shared-format run log in `outDir`, loadable as a workspace.
 * Runs an earlier launch left in the store are listed too (`restore`): a finished one opens as a
 * workspace, and an interrupted one (the app closed or crashed mid-run) resumes where it stopped.
 */
export class RunManager {
  readonly #options: RunManagerOptions;
  readonly #runs = new Map<string, LiveRun>();
  /** Runs of earlier launches, not running in this one. */
  readonly #stored = new Map<string, RunInfo>();
  #store: RunStore | null = null;

  constructor(options: RunManagerOptions) {
    this.#options = options;
  }

  /**
   * Lists the runs the store holds from earlier launches. A run is `done` when every tier answered
   * every query and its run log was exported whole; otherwise it is `paused`, to resume.
   * `dataSetOf` names the data set of a benchmark path.
   */
  restore(dataSetOf: (benchPath: string) => string): void {
    if (!existsSync(this.#options.storePath)) return;
    this.#store ??= RunStore.open(this.#options.storePath);
    for (const run of this.#store.listRuns()) {
      if (!this.#runs.has(run.id)) this.#stored.set(run.id, this.#storedInfo(this.#store, run, dataSetOf(run.bench)));
    }
  }

  #storedInfo(store: RunStore, run: StoredRun, dataSet: string): RunInfo {
    const total = store.queryCount(run.id);
    const tiers = store.tiers(run.id).map((tier) => {
      const t = store.tierTotals(run.id, tier);
      return { tier, done: t.done, errors: 0, lastError: null, unanswered: t.unanswered, summary: t.done < total ? null : tierSummary(t, store.answerSpanS(run.id, tier)) };
    });
    const outDir = join(this.#options.dir, run.id);
    const finished = tiers.length > 0 && tiers.every((t) => t.summary !== null) && hasExport(outDir);
    return { runId: run.id, dataSet, state: finished ? 'done' : 'paused', total, tiers, startedAt: run.createdAt, outDir };
  }

  /** Every run, the latest first. */
  list(): RunInfo[] {
    const all = [...this.#stored.values(), ...[...this.#runs.values()].map((r) => r.info)];
    return all.sort((a, b) => b.startedAt.localeCompare(a.startedAt)).map((info) => structuredClone(info));
  }

  /** Whether the run is an interrupted one of an earlier launch, not running in this one (resuming it needs a pool). */
  isInterrupted(runId: string): boolean {
    return this.#stored.get(runId)?.state === 'paused';
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
    this.#store ??= RunStore.open(this.#options.storePath);
    const store = this.#store;
    const runId = `run-${new Date().toISOString().replaceAll(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
    // Tiers first: a model that fails to load leaves no run row behind.
    const loaded = await o.pool.acquire(names);
    store.ensureRun(runId, { path: bench.path, sha256: bench.sha256, queries });
    for (const spec of specs) store.recordTier(runId, spec.name, { usdPerMtokIn: spec.usdPerMtokIn, usdPerMtokOut: spec.usdPerMtokOut }, tierIdentity(spec, o.pool.loaded.baseDir));
    const info: RunInfo = {
      runId, dataSet: o.dataSet, state: 'running', total: queries.length,
      tiers: specs.map((s) => ({ tier: s.name, done: 0, errors: 0, lastError: null, unanswered: {}, summary: null })),
      startedAt: new Date().toISOString(), outDir: join(this.#options.dir, runId),
    };
    return this.#launch(info, names.map((n) => loaded.get(n)!), store, o.concurrency ?? 1, o.onSettled);
  }

  /** Resumes a run of an earlier launch with the pool's tiers of the same names: each answers only what it has not stored. */
  async resumeStored(o: ResumeStoredOptions): Promise<RunInfo> {
    try {
      const info = this.#stored.get(o.runId);
      if (!info || !this.#store) throw new InvalidInputError(`no run "${o.runId}"`, 'resumeRun');
      const names = info.tiers.map((t) => t.tier);
      const specs = names.map((name) => findTierSpec(o.pool.loaded.pool, name, 'resumeRun'));
      const store = this.#store;
      const identities = specs.map((spec) => tierIdentity(spec, o.pool.loaded.baseDir));
      // Every tier is checked before any is loaded or recorded: a refused resume changes nothing.
      specs.forEach((spec, i) => store.checkTier(o.runId, spec.name, identities[i]));
      const loaded = await o.pool.acquire(names);
      // Acquiring waited: a second resume of the same run may have won the race.
      if (!this.#stored.has(o.runId)) throw new InvalidInputError(`run "${o.runId}" is already running`, 'resumeRun');
      specs.forEach((spec, i) => store.recordTier(o.runId, spec.name, { usdPerMtokIn: spec.usdPerMtokIn, usdPerMtokOut: spec.usdPerMtokOut }, identities[i]));
      // The original concurrency is not stored: one query at a time per tier, as a new run's default.
      const resumed = this.#launch({ ...info, state: 'running' }, names.map((n) => loaded.get(n)!), store, 1, o.onSettled);
      this.#stored.delete(o.runId);
      return resumed;
    } catch (err) {
      o.onSettled?.();
      throw err;
    }
  }

  #launch(info: RunInfo, tiers: Tier[], store: RunStore, concurrency: number, onSettled?: () => void): RunInfo {
    const runId = info.runId;
    const live: LiveRun = { info, runs: tiers.map((tier) => BenchmarkRun.start({ store, runId, tier, concurrency })) };
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
          row.summary = tierSummary(s, s.elapsedS);
        }
        this.#progress(live);
      });
    }
    // A progress listener that throws must not become an unhandled rejection: the run is marked failed.
    this.#finish(live, store).catch((err: unknown) => {
      live.info.state = 'failed';
      live.info.tiers.forEach((t) => (t.lastError ??= (err as Error).message));
    }).finally(() => onSettled?.());
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
    const stored = this.#stored.get(runId);
    if (stored) return structuredClone(stored);
    const live = this.#get(runId, 'pauseRun');
    if (live.info.state === 'running') {
      live.runs.forEach((r) => r.pause());
      live.info.state = 'paused';
      this.#progress(live);
    }
    return structuredClone(live.info);
  }

  resume(runId: string): RunInfo {
    const stored = this.#stored.get(runId);
    if (stored) return structuredClone(stored);
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
    this.#stored.clear();
    this.#store?.close();
    this.#store = null;
  }
}
