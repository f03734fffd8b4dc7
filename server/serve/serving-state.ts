import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { TunedRouter, type CascadeRouter } from '../../core/cascade/router.js';
import { parseTunedConfig, type TunedConfig } from '../../core/config.js';
import { formatEmbedderSpec } from '../../core/embedder.js';
import { InvalidInputError } from '../../core/errors.js';
import { parsePoolFile, tiersForModels, type PoolFile, type RetryPolicy, type TierSpec } from '../../core/pool.js';
import type { Tier } from '../../core/tier.js';
import { ConfigRejectedError } from './errors.js';
import type { ServeMetrics } from './metrics.js';
import type { ResolvedServeOptions } from './options.js';
import type { Probe } from './readiness.js';
import { createEmbedder, type ManagedEmbedder } from '../../native-models/embedders/index.js';
import { TierPool } from '../../native-models/tiers/pool.js';

/** Everything one request needs, swapped as a whole on reload so no request ever sees half of two configs. */
export interface ServingState {
  router: CascadeRouter;
  /** The config's GGUF or OpenAI-compatible embedder; null for the built-in one (the router rebuilds it). */
  embedder: ManagedEmbedder | null;
  tiers: ReadonlyMap<string, Tier>;
  /** Each cloud tier's retry policy; serve applies it, so the tiers it builds retry nothing themselves (lent tiers keep their own and get none here). */
  retries: ReadonlyMap<string, RetryPolicy>;
  /** Each cloud tier's base URL, for /ready probes. */
  cloudUrls: ReadonlyMap<string, string>;
  probes: Map<string, Probe>;
  /** The config file, or `in-memory config`. */
  configPath: string;
  loadedAt: number;
  /** Hash of the pool file's bytes: an unchanged pool keeps its loaded tiers across reloads. */
  poolDigest: string;
  /** The pool that holds the tiers: serve's own (built from the pool file), or an in-memory source's, lent. */
  pool: TierPool;
  /** Whether serve built `pool` (and disposes it when done) or borrowed it. */
  ownsPool: boolean;
}

/** A config and pool already in memory (the app's): the pool lends its tiers, and serve never disposes them. */
export interface InMemorySource {
  config: TunedConfig;
  pool: TierPool;
}

async function readJson(path: string, what: string): Promise<{ value: unknown; digest: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new ConfigRejectedError(`cannot read the ${what} (${(err as Error).message})`, path);
  }
  try {
    return { value: JSON.parse(bytes.toString('utf8')), digest: createHash('sha256').update(bytes).digest('hex') };
  } catch (err) {
    throw new ConfigRejectedError(`the ${what} is malformed JSON (${(err as Error).message})`, path);
  }
}

// Serve owns retries (so it can count them and fail over between them); the tier itself retries nothing.
const withoutRetries = (spec: TierSpec): TierSpec => (spec.kind === 'cloud' ? { ...spec, retry: { ...spec.retry, maxRetries: 0 } } : spec);

/**
 * The embedder a config was tuned with, when it is not the built-in one: the previous state's
 * when it is the same (a config-only reload never reloads a model), else loaded from
 * `--embedder` or the config's own spec. The router checks its id against the fitted one.
 */
async function loadEmbedder(config: TunedConfig, opts: ResolvedServeOptions, previous: ServingState | undefined, configPath: string): Promise<ManagedEmbedder | null> {
  if (config.embedder.spec.kind === 'builtin') return null;
  if (previous?.embedder && !previous.embedder.disposed && previous.embedder.id === config.embedder.id) return previous.embedder;
  const spec = opts.embedder ?? config.embedder.spec;
  try {
    return await createEmbedder(spec);
  } catch (err) {
    const hint = opts.embedder ? '' : ' (give --embedder to load it from elsewhere)';
    throw new ConfigRejectedError(`cannot load the config's embedder ${formatEmbedderSpec(spec)}${hint}: ${(err as Error).message}`, `${configPath}: embedder.spec`);
  }
}

interface ReadSource {
  config: TunedConfig;
  pool: PoolFile;
  configWhere: string;
  poolWhere: string;
  poolDigest: string;
  baseDir: string;
  lentBy: TierPool | null;
}

/** Reads and checks the config and pool, from their files or from memory. */
async function readSource(opts: ResolvedServeOptions): Promise<ReadSource> {
  const memory = opts.source;
  if (memory) {
    const { loaded } = memory.pool;
    return { config: memory.config, pool: loaded.pool, configWhere: 'in-memory config', poolWhere: loaded.file, poolDigest: loaded.file, baseDir: loaded.baseDir, lentBy: memory.pool };
  }
  const configPath = resolve(opts.configPath!);
  const poolPath = resolve(opts.poolPath!);
  const [configFile, poolFile] = await Promise.all([readJson(configPath, 'tuned config'), readJson(poolPath, 'pool file')]);
  try {
    const config = parseTunedConfig(configFile.value, configPath);
    const pool = parsePoolFile(poolFile.value, poolPath);
    return { config, pool, configWhere: configPath, poolWhere: poolPath, poolDigest: poolFile.digest, baseDir: dirname(poolPath), lentBy: null };
  } catch (err) {
    throw new ConfigRejectedError((err as Error).message);
  }
}

/**
 * Loads a config and a pool into a serving state. With `previous` and an unchanged pool the
 * loaded tiers are reused, so a config-only reload never reloads models.
 */
async function loadState(opts: ResolvedServeOptions, previous: ServingState | undefined): Promise<ServingState> {
  const { config, pool, configWhere, poolWhere, poolDigest, baseDir, lentBy } = await readSource(opts);
  if (pool.tiers.some((t) => t.name === opts.routerModel)) {
    throw new ConfigRejectedError(`a tier is named "${opts.routerModel}", the router's own model name; rename it or pick another --router-model`, poolWhere);
  }
  const embedder = await loadEmbedder(config, opts, previous, configWhere);
  let router: TunedRouter;
  try {
    // The pool's own `standsFor` (and same-name tiers) first; `--map` entries win.
    const tierMap = { ...Object.fromEntries(tiersForModels(config.pool.map((p) => p.model), pool.tiers)), ...opts.tierMap };
    router = TunedRouter.create(opts.routerModel, config, pool.tiers.map((t) => t.name), tierMap, configWhere, embedder ?? undefined);
  } catch (err) {
    if (embedder && embedder !== previous?.embedder) await embedder.dispose();
    throw err instanceof InvalidInputError ? new ConfigRejectedError(err.message) : err;
  }
  const reuse = previous !== undefined && previous.poolDigest === poolDigest && (lentBy === null || previous.pool === lentBy);
  const tierPool = reuse ? previous.pool : lentBy ?? (await TierPool.open({ file: poolWhere, baseDir, pool: { ...pool, tiers: pool.tiers.map(withoutRetries) } }));
  const tiers = reuse ? previous.tiers : await tierPool.acquire(pool.tiers.map((t) => t.name));
  return {
    router,
    embedder,
    tiers,
    // Lent tiers retry by their own policy; serve adds none on top.
    retries: new Map(lentBy ? [] : pool.tiers.flatMap((t) => (t.kind === 'cloud' ? [[t.name, t.retry] as const] : []))),
    cloudUrls: new Map(pool.tiers.flatMap((t) => (t.kind === 'cloud' ? [[t.name, t.baseUrl] as const] : []))),
    probes: reuse ? previous.probes : new Map(),
    configPath: configWhere,
    loadedAt: Date.now(),
    poolDigest,
    pool: tierPool,
    ownsPool: lentBy === null,
  };
}

/**
 * Holds the serving state and swaps it atomically: a reload builds the whole new state aside
 * and only then replaces the old one; a bad config or pool is rejected and the old state keeps
 * serving. Replaced tiers are disposed once their running calls end.
 */
export class ServingStateHolder {
  #current: ServingState;
  #reloading: Promise<void> = Promise.resolve();
  #watchers: FSWatcher[] = [];
  #debounce: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: ResolvedServeOptions, private readonly metrics: ServeMetrics, state: ServingState) {
    this.#current = state;
  }

  static async open(opts: ResolvedServeOptions, metrics: ServeMetrics): Promise<ServingStateHolder> {
    const state = await loadState(opts, undefined);
    metrics.reloads.inc({ result: 'ok' });
    return new ServingStateHolder(opts, metrics, state);
  }

  get current(): ServingState {
    return this.#current;
  }

  /** Reloads both files (an in-memory source: rebuilds from it); reloads run one at a time, in order. Rejects with the reason when the new files are refused. */
  reload(): Promise<void> {
    const run = this.#reloading.then(async () => {
      const previous = this.#current;
      let next: ServingState;
      try {
        next = await loadState(this.opts, previous);
      } catch (err) {
        this.metrics.reloads.inc({ result: 'rejected' });
        this.opts.onEvent(`serve: reload rejected, still serving the previous config: ${(err as Error).message}`);
        throw err;
      }
      this.#current = next;
      this.metrics.reloads.inc({ result: 'ok' });
      this.opts.onEvent(`serve: reloaded ${next.configPath}`);
      if (next.pool !== previous.pool && previous.ownsPool) void previous.pool.dispose();
      if (previous.embedder && next.embedder !== previous.embedder) void previous.embedder.dispose();
    });
    this.#reloading = run.catch(() => undefined);
    return run;
  }

  /** Reloads when the config or pool file changes; watches their folders, since atomic writes replace the file itself. */
  watch(): void {
    // An in-memory source has no files; its owner starts a new server for a new config.
    if (this.opts.source) return;
    const files = [resolve(this.opts.configPath!), resolve(this.opts.poolPath!)];
    for (const dir of new Set(files.map((f) => dirname(f)))) {
      const names = new Set(files.filter((f) => dirname(f) === dir).map((f) => basename(f)));
      const watcher = watch(dir, (_event, name) => {
        if (name === null || !names.has(name.toString())) return;
        clearTimeout(this.#debounce);
        // Editors and atomic writers touch a file several times per save; reload once it settles.
        this.#debounce = setTimeout(() => void this.reload().catch(() => undefined), 200);
      });
      watcher.on('error', (err) => this.opts.onEvent(`serve: stopped watching ${dir}: ${err.message}`));
      this.#watchers.push(watcher);
    }
  }

  stopWatching(): void {
    clearTimeout(this.#debounce);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }

  /** Stops watching, waits for a running reload, and disposes the tiers it built (lent ones go back untouched). */
  async close(): Promise<void> {
    this.stopWatching();
    await this.#reloading;
    if (this.#current.ownsPool) await this.#current.pool.dispose();
    await this.#current.embedder?.dispose();
  }
}
