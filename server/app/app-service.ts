import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import {
  APP_API_VERSION,
  type AppClient, type AppEvent, type AppEventListener, type AppState, type BudgetView, type ClusterMap, type ClusterMapRequest,
  type CompareRequest, type DataSetInfo, type ExportFile, type HardwareView, type LiveReadiness, type LiveRequest, type ModelFileInfo, type ModelFileRequest, type OperatingPoint, type OperatingPointRequest,
  type PoolFile, type QeThresholdRequest, type QeThresholdResult, type QeView, type RoutingTable, type RunInfo, type RunRequest, type ServeStartRequest, type ServeStatus, type Settings,
  type StreamHandle, type TierStatus, type TraceDetail, type TraceFilter, type TracePage, type TuneReport, type TuneRequest,
  type WorkspaceInfo, type WorkspaceSource,
} from '../../core/app-api.js';
import { parseTunedConfig, servedPlans, type TunedConfig } from '../../core/config.js';
import { COST_UNITS, costMatrix, type Pricing } from '../../core/cost.js';
import { BuiltinEmbedder } from '../../core/embed/tfidf.js';
import { ConflictError, InvalidInputError, MissingColumnError, UnsatisfiableError } from '../../core/errors.js';
import type { ClusterCandidates } from '../../core/frontier/build.js';
import type { ProjectionAxis } from '../../core/lda-projection.js';
import { liveReadiness } from '../../core/live-readiness.js';
import { findTierSpec, modelCostFigures, parsePoolFile } from '../../core/pool.js';
import type { EngineReport } from '../../core/report.js';
import type { RunLog } from '../../core/runlog.js';
import { SPLIT_DEFAULTS } from '../../core/split.js';
import { taskCounts } from '../../core/tasks.js';
import { unansweredByModel, type UnansweredTally } from '../../core/unanswered.js';
import { embedAll, evaluateTunedConfig } from '../../core/tune.js';
import { buildWorkload, type Workload } from '../../core/workload.js';
import { savedWorkspace } from '../../core/workspace-file.js';
import { budgetView } from '../../core/views/budget.js';
import { modelSummaries } from '../../core/views/models.js';
import { qeView } from '../../core/views/qe.js';
import { clusterMap, routingTable } from '../../core/views/routing.js';
import { listTraces, traceDetail } from '../../core/views/traces.js';
import { checkConfigModels, moveOperatingPoint, operatingPoint, overrideQeThreshold, tunedState, type TunedState } from '../../core/views/tuned-state.js';
import { reportCsv, tuneReport } from '../../core/views/tune-report.js';
import { loadRunLog } from '../../native-models/runlog/load.js';
import { findDataSets, SIMULATED_ID } from './data-sets.js';
import { TuneCache } from './tune-cache.js';
import { tuneOffThread } from './tune-off-thread.js';
import { readSavedWorkspace, workspaceFile, writeSavedWorkspace } from './workspace-store.js';
import type { TuneWorkerInput } from './tune-worker.js';
// Tiers, streams and serving load node-llama-cpp (seconds), the UMAP projection (core/projection) umap-js: imported when first used, not at start-up.
import type { TierPool } from '../../native-models/tiers/pool.js';
import type { StreamContext } from './streams.js';
import type { RunManager } from './runs.js';
import type { ServeToggle } from './serve-toggle.js';
import { describeFailure, guardProcess, runOwned } from '../unexpected.js';

export interface AppServiceOptions {
  /** Folders whose shared-format sub-folders are offered as data sets. Defaults to `[]`. */
  dataDirs?: string[];
  /** The built-in simulated pool's run-log folder. Defaults to `fixtures/simulated` of this checkout. */
  simulatedDir?: string | null;
  /** Data set loaded at start; null starts with no workspace. Defaults to `'simulated'` when that folder exists. */
  initialDataSet?: string | null;
  /** Workspace loaded at start instead of `initialDataSet` (for example a run log named on the command line). Defaults to none. */
  initialWorkspace?: WorkspaceSource;
  /**
   * Tunes the initial workspace as soon as it is loaded, so the first window finds the tune
   * running or done and joins it instead of starting it. Defaults to `null` (wait to be asked).
   */
  initialTune?: TuneRequest | null;
  /**
   * Folder of finished tunes (see TuneCache): a tune of the same run log bytes with the same
   * settings and engine code is read back instead of recomputed. Defaults to `null` (no cache).
   */
  tuneCacheDir?: string | null;
  /** Folder relative pool paths (GGUF files) resolve against. Defaults to `process.cwd()`. */
  baseDir?: string;
  /** Environment holding cloud API keys; only whether a variable is set ever leaves the service. Defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Where benchmark runs keep their store and exported run logs. Defaults to `<os tmpdir>/cascade-lab-runs`. */
  runsDir?: string;
  /**
   * Folder the workspace (its run log's source, settings and live pool) is saved in after every
   * change, and reopened from at launch: a saved source wins over `initialDataSet`, never over
   * `initialWorkspace`; the saved settings and pool come back either way. Defaults to `null` (nothing saved).
   */
  stateDir?: string | null;
  /** Receives one line per failure nothing else handled (with the stream id when a stream owns it). Defaults to `console.error`. */
  onUnexpected?: (message: string) => void;
}

interface Workspace {
  info: Omit<WorkspaceInfo, 'models' | 'pool' | 'tierStatus' | 'settings' | 'costUnit'>;
  /** What it was loaded from, as the state folder saves it. */
  source: WorkspaceSource;
  log: RunLog;
  /** What the log was read from, for the tune cache's key: the sources' hashes and how they were read. */
  identity: unknown;
  w: Workload;
  settings: Settings;
  pool: PoolFile | null;
}

const DEFAULT_SETTINGS: Settings = { costMetric: 'usd', split: { trainFraction: SPLIT_DEFAULTS.trainFraction, seed: SPLIT_DEFAULTS.seed } };

function defaultSimulatedDir(): string {
  return resolve(new URL('../../fixtures/simulated', import.meta.url).pathname);
}

/**
 * The AppApi on top of the engine and the live pool: one workspace (a run log, its settings and
 * pool), the last tune's state, live streams and the serving toggle. Every view is read from the
 * tune's precomputed state; moving the budget only re-picks a λ region.
 */
export class AppService implements AppClient {
  readonly #dataDirs: string[];
  readonly #simulatedDir: string | null;
  readonly #baseDir: string;
  readonly #env: Record<string, string | undefined>;
  readonly #listeners = new Set<AppEventListener>();
  readonly #streams = new Map<string, AbortController>();
  readonly #projections = new Map<string, { xy: Float64Array; axes?: [ProjectionAxis, ProjectionAxis] }>();
  #serve: ServeToggle | null = null;
  /**
   * The workspace pool's tiers, lent to Live, Compare, runs and the serve toggle: each tier loads
   * when first asked for and stays loaded until the pool changes. A replaced pool the endpoint
   * still serves with waits in `#retired` until the endpoint stops.
   */
  #tiers: TierPool | null = null;
  readonly #retired = new Set<TierPool>();
  /** How many streams and runs are using each pool: a replaced pool is disposed only once none is. */
  readonly #borrowers = new Map<TierPool, number>();
  #runs: RunManager | null = null;
  #runsReady: Promise<RunManager> | null = null;
  readonly #runsDir: string;
  readonly #stateDir: string | null;
  #workspace: Workspace | null = null;
  /** The settings and pool a workspace loaded with none before it starts with (restored from the state folder). */
  #carried: Pick<Workspace, 'settings' | 'pool'> = { settings: DEFAULT_SETTINGS, pool: null };
  #tuned: TunedState | null = null;
  #tuning: { k: TuneRequest['k']; ws: Workspace; settings: Settings; report: Promise<TuneReport> } | null = null;
  readonly #tuneCache: TuneCache | null;
  /** Aborted by dispose(): stops a tune still running in its child process. */
  readonly #disposed = new AbortController();
  /** Tune-cache writes still in flight (dispose waits for them). */
  readonly #cacheWrites = new Set<Promise<void>>();
  readonly #onUnexpected: (message: string) => void;
  readonly #releaseGuard: () => void;
  /** Failures nothing else handled, each logged; the app kept running. */
  unexpectedErrors = 0;

  private constructor(options: AppServiceOptions) {
    this.#dataDirs = (options.dataDirs ?? []).map((d) => resolve(d));
    this.#simulatedDir = options.simulatedDir === undefined ? defaultSimulatedDir() : options.simulatedDir;
    this.#baseDir = options.baseDir ?? process.cwd();
    this.#env = options.env ?? process.env;
    this.#runsDir = options.runsDir ?? join(tmpdir(), 'cascade-lab-runs');
    this.#stateDir = options.stateDir ?? null;
    this.#tuneCache = options.tuneCacheDir ? new TuneCache({ dir: options.tuneCacheDir }) : null;
    this.#onUnexpected = options.onUnexpected ?? ((message) => console.error(message));
    this.#releaseGuard = guardProcess(this.#unexpected);
  }

  /** Logs and counts a failure nothing else handled; a user's Stop or a bad stream never ends the app. */
  readonly #unexpected = (err: unknown, id: string | null): void => {
    this.unexpectedErrors++;
    this.#onUnexpected(`cascade-lab: unexpected error${id === null ? '' : ` in stream ${id}`}: ${describeFailure(err)}`);
  };

  /** Runs a stream in the background, owned by its id: whatever it leaves unhandled is charged to it. */
  #spawn(streamId: string, work: () => Promise<void>): void {
    runOwned({ id: streamId, report: this.#unexpected }, () => {
      work().catch((err: unknown) => this.#unexpected(err, streamId));
    });
  }

  /** Builds the service and loads the initial data set (the simulated pool unless told otherwise). */
  static async create(options: AppServiceOptions = {}): Promise<AppService> {
    const { service, ready } = AppService.open(options);
    await ready;
    return service;
  }

  /**
   * Builds the service at once and loads the initial workspace in the background, for a shell
   * that listens (or opens its window) first. `ready` settles when that load has: it rejects
   * with the load's error, and the service then stands with no workspace. Calls made before
   * `ready` settles should wait for it (see `deferredClient`). Then `initialTune` starts.
   */
  static open(options: AppServiceOptions = {}): { service: AppService; ready: Promise<void> } {
    const service = new AppService(options);
    const dataSet = options.initialDataSet === undefined ? (service.#simulatedDir && existsSync(service.#simulatedDir) ? SIMULATED_ID : null) : options.initialDataSet;
    const ready = (async () => {
      await service.#restoreRuns();
      const saved = service.#stateDir === null ? null : await readSavedWorkspace(service.#stateDir);
      if (saved) service.#carried = { settings: saved.settings, pool: saved.pool };
      const initial: WorkspaceSource | null = options.initialWorkspace ?? saved?.source ?? (dataSet ? { kind: 'dataset', id: dataSet } : null);
      if (!initial) return;
      try {
        await service.loadWorkspace(initial);
      } catch (err) {
        if (initial !== saved?.source || service.#stateDir === null) throw err;
        throw new InvalidInputError(`the saved workspace did not reopen (pick a run log again; the pool is kept): ${(err as Error).message}`, workspaceFile(service.#stateDir));
      }
      const tuneAtStart = options.initialTune ?? null;
      // Its failure reaches whoever asks for the tune next (the first window does).
      if (tuneAtStart) service.tune(tuneAtStart).catch(() => undefined);
    })();
    return { service, ready };
  }

  subscribe(listener: AppEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: AppEvent): void {
    for (const l of [...this.#listeners]) l(event);
  }

  // ---- workspace --------------------------------------------------------------------

  async getState(): Promise<AppState> {
    return {
      apiVersion: APP_API_VERSION,
      workspace: this.#workspace && this.#workspaceInfo(this.#workspace),
      tune: this.#tuned && tuneReport(this.#tuned),
      tuning: this.#tuning && { k: this.#tuning.k },
      serve: this.#serve?.status ?? { running: false, url: null, models: [] },
      runs: this.#runs?.list() ?? [],
    };
  }

  async listDataSets(): Promise<DataSetInfo[]> {
    return findDataSets(this.#dataDirs, this.#simulatedDir);
  }

  async loadWorkspace(source: WorkspaceSource): Promise<WorkspaceInfo> {
    let log: RunLog;
    let info: Workspace['info'];
    let identity: Record<string, unknown>;
    switch (source.kind) {
      case 'dataset': {
        const set = (await this.listDataSets()).find((d) => d.id === source.id);
        if (!set) throw new InvalidInputError(`no data set "${source.id}" (known: ${(await this.listDataSets()).map((d) => d.id).join(', ') || 'none'})`, 'loadWorkspace');
        const format = set.kind === 'lm-eval-folder' ? 'lm-eval' : 'shared';
        log = await loadRunLog(set.path, { format });
        info = { label: set.label, source: set.path, simulated: set.simulated, ...counts(log) };
        identity = { format };
        break;
      }
      case 'path': {
        const path = isAbsolute(source.path) ? source.path : resolve(this.#baseDir, source.path);
        try {
          log = await loadRunLog(path, source.columnMap ? { columns: source.columnMap } : {});
        } catch (err) {
          // The path names any file on the engine's machine: an error must not read its first line back to the caller.
          if (err instanceof MissingColumnError) throw new MissingColumnError(err.message.replace(/ \(header has .*\)$/s, ' (the file\'s header does not name them)'), err.where);
          throw err;
        }
        info = { label: path.split(/[/\\]/).pop() ?? path, source: path, simulated: false, ...counts(log) };
        identity = { format: 'auto', columns: source.columnMap ?? null };
        break;
      }
      case 'upload': {
        // The loaders read files (they detect gzip, hash bytes for provenance); an upload becomes a private temp file for the read.
        const dir = await mkdtemp(join(tmpdir(), 'cascade-lab-upload-'));
        try {
          const file = join(dir, `upload${extname(source.fileName) || `.${source.format}`}`);
          const { default: writeFileAtomic } = await import('write-file-atomic');
          await writeFileAtomic(file, source.text);
          log = await loadRunLog(file, { format: 'table', ...(source.columnMap && { columns: source.columnMap }) });
        } catch (err) {
          if (err instanceof InvalidInputError) throw new InvalidInputError(err.message.replaceAll(dir, source.fileName), source.fileName);
          throw err;
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
        log = { ...log, sources: log.sources.map((s) => ({ ...s, path: source.fileName })) };
        info = { label: source.fileName, source: source.fileName, simulated: false, ...counts(log) };
        identity = { format: 'table', extension: extname(source.fileName) || `.${source.format}`, columns: source.columnMap ?? null };
        break;
      }
    }
    identity = { ...identity, sha256: log.sources.map((s) => s.sha256) };
    const { settings, pool } = this.#workspace ?? this.#carried;
    const ws: Workspace = { info, source, log, identity, w: buildWorkload(log), settings, pool };
    await this.#save(ws);
    this.#workspace = ws;
    this.#clearTune();
    return this.#workspaceInfo(ws);
  }

  async setPool(pool: PoolFile): Promise<WorkspaceInfo> {
    const ws = this.#requireWorkspace('setPool');
    const checked = parsePoolFile(pool, 'setPool');
    await this.#save({ ...ws, pool: checked });
    ws.pool = checked;
    this.#releaseTiers();
    return this.#workspaceInfo(ws);
  }

  async setSettings(settings: Settings): Promise<WorkspaceInfo> {
    const ws = this.#requireWorkspace('setSettings');
    await this.#save({ ...ws, settings });
    ws.settings = settings;
    this.#clearTune();
    return this.#workspaceInfo(ws);
  }

  /** Writes the workspace to the state folder before it takes effect, so a failed save changes nothing. */
  async #save(ws: Pick<Workspace, 'source' | 'settings' | 'pool'>): Promise<void> {
    if (this.#stateDir !== null) await writeSavedWorkspace(this.#stateDir, savedWorkspace(ws.source, ws.settings, ws.pool));
  }

  async inspectModelFile(request: ModelFileRequest): Promise<ModelFileInfo> {
    // node-llama-cpp loads on first use, never at start-up.
    const { inspectModelFile } = await import('../../native-models/tiers/model-file.js');
    return inspectModelFile(resolve(this.#baseDir, request.path));
  }

  async getHardware(): Promise<HardwareView> {
    // node-llama-cpp loads on first use (seconds), never at start-up.
    const [{ fitTarget, hostLoadWarning }, { fitOfTier }] = await Promise.all([import('../../native-models/tiers/backend-report.js'), import('../../native-models/tiers/local-tier.js')]);
    const target = await fitTarget();
    const tiers: HardwareView['tiers'] = [];
    for (const t of this.#workspace?.pool?.tiers ?? []) {
      if (t.kind !== 'local') continue;
      try {
        tiers.push({ tier: t.name, fit: await fitOfTier(t, { baseDir: this.#baseDir, fitTarget: target }), problem: null });
      } catch (err) {
        tiers.push({ tier: t.name, fit: null, problem: (err as Error).message });
      }
    }
    return { backend: target.report, loadWarning: hostLoadWarning(), tiers };
  }

  #requireWorkspace(method: string): Workspace {
    if (!this.#workspace) throw new UnsatisfiableError('no workspace is loaded: load a data set or run log first', method);
    return this.#workspace;
  }

  #requireTuned(method: string): TunedState {
    if (!this.#tuned) throw new UnsatisfiableError('the workspace is not tuned yet: run tune first', method);
    return this.#tuned;
  }

  #clearTune(): void {
    this.#tuned = null;
    this.#projections.clear();
  }

  #pricing(ws: Workspace): Pricing {
    return { prices: ws.log.prices, perModel: ws.pool ? modelCostFigures(ws.pool, ws.w.models, ws.log.originalNames) : {} };
  }

  #workspaceInfo(ws: Workspace): WorkspaceInfo {
    let cost: Float64Array | null = null;
    try {
      cost = costMatrix(ws.w, ws.settings.costMetric, this.#pricing(ws));
    } catch {
      // A metric the log cannot price (no prices, no timings) leaves costs unknown until the pool supplies figures.
    }
    return {
      ...ws.info,
      models: modelSummaries(ws.w, cost, unansweredOf(ws.log)),
      pool: ws.pool,
      tierStatus: ws.pool ? ws.pool.tiers.map((t) => this.#tierStatus(t)) : [],
      settings: ws.settings,
      costUnit: COST_UNITS[ws.settings.costMetric],
    };
  }

  #tierStatus(t: PoolFile['tiers'][number]): TierStatus {
    if (t.kind === 'cloud') {
      const missing = t.apiKeyEnv !== undefined && !this.#env[t.apiKeyEnv];
      return { name: t.name, kind: 'cloud', ready: !missing, problem: missing ? `environment variable ${t.apiKeyEnv} is not set` : null };
    }
    const local = /^[a-z]+:/i.test(t.model) ? null : resolve(this.#baseDir, t.model);
    const missing = local !== null && !existsSync(local);
    return { name: t.name, kind: 'local', ready: !missing, problem: missing ? `model file ${local} does not exist` : null };
  }

  // ---- tune and its views -------------------------------------------------------------

  async tune(request: TuneRequest): Promise<TuneReport> {
    const ws = this.#requireWorkspace('tune');
    // A second window (or a reload) asking for the tune already running joins it instead of doubling the work.
    if (this.#tuning?.k === request.k && this.#tuning.ws === ws && this.#tuning.settings === ws.settings) return this.#tuning.report;
    const report = this.#runTune(ws, request);
    const entry = { k: request.k, ws, settings: ws.settings, report };
    this.#tuning = entry;
    try {
      return await report;
    } finally {
      if (this.#tuning === entry) this.#tuning = null;
    }
  }

  async #runTune(ws: Workspace, request: TuneRequest): Promise<TuneReport> {
    const started = performance.now();
    const settings = ws.settings;
    const options: TuneWorkerInput['options'] = {
      k: request.k,
      costMetric: settings.costMetric,
      trainFraction: settings.split.trainFraction,
      seed: settings.split.seed,
      pricing: { perModel: this.#pricing(ws).perModel },
    };
    const cache = this.#tuneCache;
    const key = cache?.key(ws.identity, options) ?? null;
    const cached = key === null ? null : await cache!.get(key);
    const outcome = cached ?? { ...(await tuneOffThread({ log: ws.log, options }, this.#disposed.signal)), durationMs: performance.now() - started };
    if (key !== null && !cached) {
      const write = cache!.put(key, outcome).finally(() => this.#cacheWrites.delete(write));
      this.#cacheWrites.add(write);
    }
    // The service kept serving while the tune ran; a workspace or settings change meanwhile outdates it.
    if (this.#workspace !== ws || ws.settings !== settings) throw new ConflictError('the workspace or its settings changed while it was being tuned: tune again', 'tune');
    const { config, report, embeddings, durationMs } = outcome;
    const rows = embeddings && Array.from(ws.w.qids, (_, q) => embeddings.subarray(q * config.embedder.dimensions, (q + 1) * config.embedder.dimensions));
    const state = await this.#stateOf(ws, config, report, request.k === 'auto' ? 'auto' : 'fixed', durationMs, rows, cached !== null, outcome.candidates);
    if (this.#workspace !== ws || ws.settings !== settings) throw new ConflictError('the workspace or its settings changed while it was being tuned: tune again', 'tune');
    this.#projections.clear();
    this.#tuned = state;
    return tuneReport(state);
  }

  /** The views' state of a config on this workspace: `embeddings` are the rows' embeddings when the tune worker made them. */
  async #stateOf(
    ws: Workspace, config: TunedConfig, report: EngineReport | null, kMode: 'auto' | 'fixed', durationMs: number, embeddings: Float32Array[] | null = null, fromCache = false,
    candidates: ClusterCandidates[] | null = null,
  ): Promise<TunedState> {
    if (!config.embedder.state) throw new UnsatisfiableError(`the playground embeds with the built-in embedder only; this config uses "${config.embedder.spec.kind}"`, 'embedder');
    checkConfigModels(config, ws.w);
    embeddings ??= await embedAll(BuiltinEmbedder.fromState(config.embedder.state), ws.w.prompts, () => undefined);
    const cost = costMatrix(ws.w, config.cost.metric, this.#pricing(ws));
    const evaluated = report ?? (await evaluateTunedConfig(config, ws.log));
    return tunedState({ config, report: evaluated, kMode, durationMs, fromCache, simulated: ws.info.simulated, dataSet: ws.info.label, candidates, w: ws.w, embeddings, cost });
  }

  async getClusterMap(request: ClusterMapRequest): Promise<ClusterMap> {
    const t = this.#requireTuned('getClusterMap');
    let projected = this.#projections.get(request.projection);
    if (!projected) {
      const { project2d } = await import('../../core/projection.js');
      const { ldaProject } = await import('../../core/lda-projection.js');
      projected = request.projection === 'lda'
        ? ldaProject(t.embeddings, t.clusterOf, t.config.clusters.length)
        : { xy: await project2d(t.embeddings, request.projection, { seed: t.config.provenance.seed }) };
      // A tune that finished meanwhile is the one to draw.
      if (this.#tuned !== t) return this.getClusterMap(request);
      this.#projections.set(request.projection, projected);
    }
    return clusterMap(t, request.projection, projected.xy, projected.axes);
  }

  async getRoutingTable(): Promise<RoutingTable> {
    return routingTable(this.#requireTuned('getRoutingTable'));
  }

  async getBudget(): Promise<BudgetView> {
    return budgetView(this.#requireTuned('getBudget'));
  }

  async setOperatingPoint(request: OperatingPointRequest): Promise<OperatingPoint> {
    const t = this.#requireTuned('setOperatingPoint');
    moveOperatingPoint(t, request);
    return operatingPoint(t);
  }

  async listTraces(filter: TraceFilter): Promise<TracePage> {
    return listTraces(this.#requireTuned('listTraces'), filter);
  }

  async getTrace(request: { qid: string }): Promise<TraceDetail> {
    const detail = traceDetail(this.#requireTuned('getTrace'), request.qid);
    if (!detail) throw new InvalidInputError(`no query "${request.qid}" in the workspace`, 'getTrace');
    return detail;
  }

  async getQe(): Promise<QeView> {
    const view = qeView(this.#requireTuned('getQe'));
    if (!view) throw new UnsatisfiableError('this config routes with stage 1 alone: it has no QE', 'getQe');
    return view;
  }

  /** Sets the first QE threshold of every served plan that starts on `model` (or of all), then re-evaluates on test: a manual override of the tuned region. */
  async setQeThreshold(request: QeThresholdRequest): Promise<QeThresholdResult> {
    const t = this.#requireTuned('setQeThreshold');
    if (!t.config.cascade) throw new UnsatisfiableError('this config routes with stage 1 alone: it has no QE threshold', 'setQeThreshold');
    if (overrideQeThreshold(t, request.threshold, request.model) === 0) {
      throw new InvalidInputError(`no cluster's plan in the served region thresholds the QE score of ${request.model === undefined ? 'any model' : `"${request.model}"`}`, 'setQeThreshold');
    }
    return { qe: qeView(t)!, operatingPoint: operatingPoint(t) };
  }

  // ---- the pool's tiers and live streams ----------------------------------------------

  /** The TierPool of the workspace's pool, created on first use (it loads no model until a tier is acquired). */
  async #tierPool(ws: Workspace, method: string, missing = 'the workspace has no live pool: add a local GGUF or cloud tier first'): Promise<TierPool> {
    if (!ws.pool) throw new UnsatisfiableError(missing, method);
    // node-llama-cpp loads with the pool module (seconds): imported when first used.
    const { TierPool } = await import('../../native-models/tiers/pool.js');
    if (this.#tiers?.loaded.pool !== ws.pool) {
      this.#releaseTiers();
      this.#tiers = TierPool.lazy({ file: 'pool', baseDir: this.#baseDir, pool: ws.pool }, { env: this.#env });
    }
    return this.#tiers!;
  }

  /** Lets go of the current pool's tiers: disposed now (each waits for its running calls), or once the endpoint stops serving with them. */
  #releaseTiers(): void {
    if (this.#tiers) this.#retired.add(this.#tiers);
    this.#tiers = null;
    this.#releaseRetired();
  }

  /** Counts a user of a pool; the returned function, called once, ends that use. */
  #lend(pool: TierPool): () => void {
    this.#borrowers.set(pool, (this.#borrowers.get(pool) ?? 0) + 1);
    let returned = false;
    return () => {
      if (returned) return;
      returned = true;
      const left = (this.#borrowers.get(pool) ?? 1) - 1;
      if (left > 0) this.#borrowers.set(pool, left);
      else this.#borrowers.delete(pool);
      this.#releaseRetired();
    };
  }

  async #streamContext(method: string): Promise<StreamContext> {
    const ws = this.#requireWorkspace(method);
    const tiers = await this.#tierPool(ws, method);
    const giveBack = this.#lend(tiers);
    const streamId = randomUUID();
    const controller = new AbortController();
    this.#streams.set(streamId, controller);
    return {
      streamId,
      tiers,
      config: this.#tuned?.config ?? null,
      signal: controller.signal,
      emit: (event) => this.#emit(event),
      done: () => {
        this.#streams.delete(streamId);
        giveBack();
      },
    };
  }

  async checkLive(): Promise<LiveReadiness> {
    const ws = this.#workspace;
    if (!ws) return { ready: false, reason: 'no workspace is loaded: load a data set or run log first', models: [] };
    const problems = new Map((ws.pool?.tiers ?? []).flatMap((t) => {
      const st = this.#tierStatus(t);
      return st.ready ? [] : [[t.name, st.problem ?? 'not ready'] as const];
    }));
    return liveReadiness(ws.pool, this.#tuned && servedPlans(this.#tuned.config), problems);
  }

  async startLive(request: LiveRequest): Promise<StreamHandle> {
    const readiness = await this.checkLive();
    if (!readiness.ready) throw new UnsatisfiableError(readiness.reason ?? 'the live pool cannot serve the plan', 'startLive');
    const { runLive } = await import('./streams.js');
    const ctx = await this.#streamContext('startLive');
    this.#spawn(ctx.streamId, () => runLive(ctx, request));
    return { streamId: ctx.streamId };
  }

  async startCompare(request: CompareRequest): Promise<StreamHandle> {
    const { runCompare } = await import('./streams.js');
    const ctx = await this.#streamContext('startCompare');
    try {
      for (const name of request.tiers) findTierSpec(ctx.tiers.loaded.pool, name, 'startCompare');
    } catch (err) {
      ctx.done();
      throw err;
    }
    this.#spawn(ctx.streamId, () => runCompare(ctx, request));
    return { streamId: ctx.streamId };
  }

  async abortStream(request: StreamHandle): Promise<null> {
    this.#streams.get(request.streamId)?.abort();
    return null;
  }

  // ---- benchmark runs ---------------------------------------------------------------

  /** The run manager, made on first use (its module loads SQLite); one however many calls race to make it. */
  #runManager(): Promise<RunManager> {
    this.#runsReady ??= import('./runs.js').then(({ RunManager }) => {
      this.#runs = new RunManager({ dir: this.#runsDir, storePath: this.#runsStore, emit: (e) => this.#emit(e) });
      return this.#runs;
    });
    return this.#runsReady;
  }

  get #runsStore(): string {
    return join(this.#runsDir, 'runs.sqlite');
  }

  /**
   * Lists the runs earlier launches left in the runs folder, finished or interrupted. A store that
   * cannot be read is logged with its path and the app starts without those runs.
   */
  async #restoreRuns(): Promise<void> {
    if (!existsSync(this.#runsStore)) return;
    try {
      const sets = await this.listDataSets();
      // A run stores its benchmark's questions file; a data set is its folder.
      (await this.#runManager()).restore((file) => sets.find((d) => d.path === file || d.path === dirname(file))?.id ?? basename(dirname(file)));
    } catch (err) {
      this.#onUnexpected(`cascade-lab: the runs of earlier launches in ${this.#runsDir} could not be read: ${describeFailure(err)}`);
    }
  }

  async listRuns(): Promise<RunInfo[]> {
    return this.#runs?.list() ?? [];
  }

  async startRun(request: RunRequest): Promise<RunInfo> {
    const ws = this.#requireWorkspace('startRun');
    const pool = await this.#tierPool(ws, 'startRun', 'a benchmark run needs a live pool: add a local GGUF or cloud tier first');
    const set = (await this.listDataSets()).find((d) => d.id === request.dataSet);
    if (!set) throw new InvalidInputError(`no data set "${request.dataSet}"`, 'startRun');
    return (await this.#runManager()).start({ ...request, benchPath: set.path, pool, onSettled: this.#lend(pool) });
  }

  async pauseRun(request: { runId: string }): Promise<RunInfo> {
    if (!this.#runs) throw new InvalidInputError(`no run "${request.runId}"`, 'pauseRun');
    return this.#runs.pause(request.runId);
  }

  async resumeRun(request: { runId: string }): Promise<RunInfo> {
    if (!this.#runs) throw new InvalidInputError(`no run "${request.runId}"`, 'resumeRun');
    if (this.#runs.isInterrupted(request.runId)) {
      const ws = this.#requireWorkspace('resumeRun');
      const pool = await this.#tierPool(ws, 'resumeRun', 'resuming a run needs a live pool with a tier of each of its tier names: set the pool first');
      return this.#runs.resumeStored({ runId: request.runId, pool, onSettled: this.#lend(pool) });
    }
    return this.#runs.resume(request.runId);
  }

  async openRun(request: { runId: string }): Promise<WorkspaceInfo> {
    const run = this.#runs?.list().find((r) => r.runId === request.runId);
    if (!run) throw new InvalidInputError(`no run "${request.runId}"`, 'openRun');
    if (run.state !== 'done') throw new UnsatisfiableError(`run "${request.runId}" is ${run.state}: only a finished run has a run log to open`, 'openRun');
    return this.loadWorkspace({ kind: 'path', path: run.outDir });
  }

  // ---- export, import, serving --------------------------------------------------------

  async exportConfig(): Promise<ExportFile> {
    const t = this.#requireTuned('exportConfig');
    return { fileName: 'cascade-lab-config.json', mediaType: 'application/json', text: `${JSON.stringify(t.config, null, 2)}\n` };
  }

  async importConfig(request: { text: string; fileName?: string }): Promise<AppState> {
    const where = request.fileName ?? 'imported config';
    let raw: unknown;
    try {
      raw = JSON.parse(request.text);
    } catch (err) {
      throw new InvalidInputError(`malformed JSON (${(err as Error).message})`, where);
    }
    const config = parseTunedConfig(raw, where);
    const ws = this.#requireWorkspace('importConfig');
    this.#projections.clear();
    // A config from this very tune (an export read back) keeps the tune's compared plans: they depend only on what is compared here.
    const previous = this.#tuned;
    const fitOf = (c: TunedConfig) => JSON.stringify([c.split, c.clusters, c.pool, c.crossFit, c.cascade?.qe ?? null]);
    const candidates = previous?.candidates && previous.w === ws.w && fitOf(previous.config) === fitOf(config) ? previous.candidates : null;
    this.#tuned = await this.#stateOf(ws, config, null, config.clustering.selection === 'cv' ? 'auto' : 'fixed', 0, null, false, candidates);
    return this.getState();
  }

  async exportReport(request: { format: 'json' | 'csv' }): Promise<ExportFile> {
    const t = this.#requireTuned('exportReport');
    const report = tuneReport(t);
    if (request.format === 'json') {
      return { fileName: 'cascade-lab-report.json', mediaType: 'application/json', text: `${JSON.stringify({ report, engine: t.report }, null, 2)}\n` };
    }
    return { fileName: 'cascade-lab-report.csv', mediaType: 'text/csv', text: reportCsv(report) };
  }

  async startServe(request: ServeStartRequest): Promise<ServeStatus> {
    const t = this.#requireTuned('startServe');
    const ws = this.#requireWorkspace('startServe');
    const tiers = await this.#tierPool(ws, 'startServe', 'serving needs a live pool whose tier names match the config\'s models: set the pool first');
    if (!this.#serve) {
      const { ServeToggle } = await import('./serve-toggle.js');
      this.#serve = new ServeToggle((status) => this.#emit({ type: 'serve.status', status }));
    }
    // Lent while the endpoint starts: a pool replaced meanwhile is not disposed under it.
    const giveBack = this.#lend(tiers);
    try {
      return await this.#serve.start({ config: t.config, tiers, ...request });
    } finally {
      giveBack();
    }
  }

  async stopServe(): Promise<ServeStatus> {
    if (!this.#serve) return { running: false, url: null, models: [] };
    const status = await this.#serve.stop();
    this.#releaseRetired();
    return status;
  }

  /** Disposes replaced pools that neither the endpoint nor a stream or run still uses. */
  #releaseRetired(): void {
    for (const pool of this.#retired) {
      if (pool === this.#serve?.tiers || this.#borrowers.has(pool)) continue;
      this.#retired.delete(pool);
      void pool.dispose();
    }
  }

  /** Stops streams and the endpoint, and finishes writing the tune cache; safe to call twice. */
  async dispose(): Promise<void> {
    this.#disposed.abort();
    for (const c of this.#streams.values()) c.abort();
    this.#streams.clear();
    this.#listeners.clear();
    await this.#serve?.stop();
    await this.#runs?.dispose();
    await Promise.allSettled([this.#tiers, ...this.#retired].map((p) => p?.dispose()));
    this.#tiers = null;
    this.#retired.clear();
    await Promise.allSettled(this.#cacheWrites);
    this.#releaseGuard();
  }
}

// A workspace's log never changes, and getState asks for its summary on every call.
const unansweredTallies = new WeakMap<RunLog, Map<string, UnansweredTally>>();
function unansweredOf(log: RunLog): Map<string, UnansweredTally> {
  let tallies = unansweredTallies.get(log);
  if (!tallies) unansweredTallies.set(log, (tallies = new Map(unansweredByModel(log).map((t) => [t.model, t]))));
  return tallies;
}

function counts(log: RunLog): Pick<WorkspaceInfo, 'queries' | 'tasks' | 'tokensApproximate'> {
  return { queries: log.queries.length, tasks: taskCounts(log.queries.map((q) => q.task)), tokensApproximate: log.tokensApproximate };
}

