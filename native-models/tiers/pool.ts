import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Llama } from 'node-llama-cpp';
import { InvalidInputError, UnsatisfiableError } from '../../core/errors.js';
import { findTierSpec, parsePoolFile, type PoolFile, type TierSpec } from '../../core/pool.js';
import type { Tier } from '../../core/tier.js';
import { CloudTier } from './cloud-tier.js';
import { WorkGuard } from './concurrency.js';
import type { FitTarget } from './backend-report.js';
import { LocalTier, type TierLoadProgress } from './local-tier.js';

/** A validated pool file and the folder its relative model paths are resolved against. */
export interface LoadedPool {
  file: string;
  baseDir: string;
  pool: PoolFile;
}

/** Reads and validates a pool file; loads no model. A bad file is an InvalidInputError naming the file and field. */
export function loadPool(file: string): LoadedPool {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`cannot read pool file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`malformed JSON (${(err as Error).message})`, path);
  }
  return { file: path, baseDir: dirname(path), pool: parsePoolFile(value, path) };
}

export interface CreateTierOptions {
  /** Folder relative model paths are resolved against. Defaults to `process.cwd()`. */
  baseDir?: string;
  /** Shared native backend for local tiers. Defaults to `sharedLlama()`. */
  llama?: Llama;
  /** Environment holding cloud API keys. Defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Cancels loading. Defaults to none. */
  signal?: AbortSignal;
  /** Defaults to none. */
  onProgress?: (progress: TierLoadProgress) => void;
  /** The backend and free GPU memory local tiers fit against. Defaults to a fresh reading per tier. */
  fitTarget?: FitTarget;
}

/** Builds the live tier a spec describes: a LocalTier (model loaded) or a CloudTier (nothing sent yet). */
function createTier(spec: TierSpec, options: CreateTierOptions = {}): Promise<LocalTier | CloudTier> {
  return spec.kind === 'local' ? LocalTier.create(spec, options) : CloudTier.create(spec, options);
}

/** How a shared pool creates tiers; no signal: one user's Stop must not cancel a load another waits for. */
export type PoolOptions = Omit<CreateTierOptions, 'baseDir' | 'signal'>;

export interface OpenPoolOptions extends Omit<CreateTierOptions, 'baseDir'> {
  /** Only these tiers (by name) are created. Defaults to every tier of the pool. */
  only?: string[];
}

/**
 * The live tiers of one pool, owned together: each tier is created the first time someone
 * acquires it and kept until the pool is disposed, so every user of the pool (the app's Live
 * view, Compare, runs, its serve toggle) shares one loaded model per tier.
 */
export class TierPool {
  readonly loaded: LoadedPool;
  readonly #options: Omit<CreateTierOptions, 'baseDir'>;
  readonly #tiers = new Map<string, Promise<LocalTier | CloudTier>>();
  readonly #ready = new Map<string, LocalTier | CloudTier>();
  readonly #guard: WorkGuard;

  private constructor(loaded: LoadedPool, options: Omit<CreateTierOptions, 'baseDir'>) {
    this.loaded = loaded;
    this.#options = options;
    this.#guard = new WorkGuard(`pool ${loaded.file}`);
  }

  /** A pool that has created no tier yet; `acquire` creates them. */
  static lazy(source: string | LoadedPool, options: PoolOptions = {}): TierPool {
    return new TierPool(typeof source === 'string' ? loadPool(source) : source, options);
  }

  /** A pool of one owner with its tiers (or `only` those) created up front; `signal` cancels their loading. */
  static async open(source: string | LoadedPool, options: OpenPoolOptions = {}): Promise<TierPool> {
    const { only, ...rest } = options;
    const pool = new TierPool(typeof source === 'string' ? loadPool(source) : source, rest);
    try {
      await pool.acquire(only ?? pool.loaded.pool.tiers.map((t) => t.name), rest.signal);
    } catch (err) {
      await pool.dispose();
      throw err;
    }
    return pool;
  }

  get disposed(): boolean {
    return this.#guard.disposed;
  }

  /** Names of the tiers created (or being created), in the order they were first acquired. */
  get names(): string[] {
    return [...this.#tiers.keys()];
  }

  /**
   * The live tiers of those names, creating any not created yet (an UnknownTierError for a name
   * the pool does not list). `signal` gives up waiting, not the loads: a model being loaded stays
   * for the pool's next user. A tier that failed to load is tried again on the next acquire.
   */
  acquire(names: readonly string[], signal?: AbortSignal): Promise<Map<string, Tier>> {
    return this.#guard.run(async () => {
      const pending = names.map((name) => this.#tier(name));
      const all = Promise.all(pending);
      const tiers = signal ? await abortable(all, signal) : await all;
      return new Map(names.map((n, i) => [n, tiers[i]]));
    });
  }

  #tier(name: string): Promise<LocalTier | CloudTier> {
    let tier = this.#tiers.get(name);
    if (!tier) {
      const spec = findTierSpec(this.loaded.pool, name, this.loaded.file);
      const created = createTier(spec, { ...this.#options, baseDir: this.loaded.baseDir });
      this.#tiers.set(name, created);
      // A failed load is forgotten, so the next acquire tries again; its rejection is the acquirer's to handle.
      created.then((t) => this.#ready.set(name, t), () => {
        if (this.#tiers.get(name) === created) this.#tiers.delete(name);
      });
      tier = created;
    }
    return tier;
  }

  /** A tier already created; an UnknownTierError for a name the pool does not list, a DisposedError after dispose. */
  get(name: string): Tier {
    this.#guard.check();
    const tier = this.#ready.get(name);
    if (tier) return tier;
    findTierSpec(this.loaded.pool, name, this.loaded.file);
    throw new UnsatisfiableError(`tier "${name}" is not loaded yet: acquire it first`, this.loaded.file);
  }

  /** Disposes every tier created (each waits for its running calls). Safe to call twice. */
  dispose(): Promise<void> {
    return this.#guard.dispose(async () => {
      await Promise.allSettled([...this.#tiers.values()].map((t) => t.then((x) => x.dispose())));
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/** `work`'s value, or the signal's reason once it fires first; `work` keeps running either way. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
