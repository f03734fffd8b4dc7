import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Llama } from 'node-llama-cpp';
import { InvalidInputError } from '../../core/errors.js';
import { parsePoolFile, type PoolFile, type TierSpec } from '../../core/pool.js';
import type { Tier } from '../../core/tier.js';
import { CloudTier } from './cloud-tier.js';
import { WorkGuard } from './concurrency.js';
import { UnknownTierError } from './errors.js';
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
}

/** Builds the live tier a spec describes: a LocalTier (model loaded) or a CloudTier (nothing sent yet). */
export function createTier(spec: TierSpec, options: CreateTierOptions = {}): Promise<LocalTier | CloudTier> {
  return spec.kind === 'local' ? LocalTier.create(spec, options) : CloudTier.create(spec, options);
}

export interface OpenPoolOptions extends Omit<CreateTierOptions, 'baseDir'> {
  /** Only these tiers (by name) are created. Defaults to every tier of the pool. */
  only?: string[];
}

/** The live tiers of a pool file, owned together: disposing the pool disposes every tier. */
export class TierPool {
  readonly loaded: LoadedPool;
  readonly #tiers: Map<string, LocalTier | CloudTier>;
  readonly #guard: WorkGuard;

  private constructor(loaded: LoadedPool, tiers: Map<string, LocalTier | CloudTier>) {
    this.loaded = loaded;
    this.#tiers = tiers;
    this.#guard = new WorkGuard(`pool ${loaded.file}`);
  }

  /** Creates the pool's tiers one after another (loading models in parallel on a small machine only thrashes). */
  static async open(source: string | LoadedPool, options: OpenPoolOptions = {}): Promise<TierPool> {
    const loaded = typeof source === 'string' ? loadPool(source) : source;
    const names = options.only ?? loaded.pool.tiers.map((t) => t.name);
    const tiers = new Map<string, LocalTier | CloudTier>();
    try {
      for (const name of names) {
        const spec = loaded.pool.tiers.find((t) => t.name === name);
        if (!spec) throw unknownTier(name, loaded);
        tiers.set(name, await createTier(spec, { ...options, baseDir: loaded.baseDir }));
      }
    } catch (err) {
      await Promise.allSettled([...tiers.values()].map((t) => t.dispose()));
      throw err;
    }
    return new TierPool(loaded, tiers);
  }

  get disposed(): boolean {
    return this.#guard.disposed;
  }

  /** Names of the live tiers, in pool-file order. */
  get names(): string[] {
    return [...this.#tiers.keys()];
  }

  /** The live tier of that name; an UnknownTierError listing the known names otherwise. */
  get(name: string): Tier {
    this.#guard.check();
    const tier = this.#tiers.get(name);
    if (!tier) throw unknownTier(name, this.loaded);
    return tier;
  }

  onDispose(listener: () => void): void {
    this.#guard.onDispose(listener);
  }

  /** Disposes every tier (each waits for its running calls). Safe to call twice. */
  dispose(): Promise<void> {
    return this.#guard.dispose(async () => {
      await Promise.all([...this.#tiers.values()].map((t) => t.dispose()));
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

function unknownTier(name: string, loaded: LoadedPool): UnknownTierError {
  return new UnknownTierError(`no tier "${name}" in the pool (it has: ${loaded.pool.tiers.map((t) => t.name).join(', ')})`, loaded.file);
}
