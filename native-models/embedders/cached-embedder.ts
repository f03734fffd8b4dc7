import { EndpointResponseError } from '../../core/errors.js';
import { WorkGuard } from '../tiers/concurrency.js';
import type { EmbeddingCache } from './embedding-cache.js';
import type { ManagedEmbedder } from './managed-embedder.js';

export interface CachedEmbedderOptions {
  /** Dispose the cache together with the embedder. Defaults to `true`. */
  ownsCache?: boolean;
}

/**
 * An embedder in front of an on-disk cache: texts already embedded under the same embedder id are
 * read back, and only the rest (each distinct text once) go to the inner embedder.
 */
export class CachedEmbedder implements ManagedEmbedder {
  readonly id: string;
  readonly dimensions: number;
  readonly #inner: ManagedEmbedder;
  readonly #cache: EmbeddingCache;
  readonly #ownsCache: boolean;
  readonly #guard: WorkGuard;

  constructor(inner: ManagedEmbedder, cache: EmbeddingCache, options: CachedEmbedderOptions = {}) {
    this.id = inner.id;
    this.dimensions = inner.dimensions;
    this.#inner = inner;
    this.#cache = cache;
    this.#ownsCache = options.ownsCache ?? true;
    this.#guard = new WorkGuard(`embedder "${inner.id}"`);
  }

  get disposed(): boolean {
    return this.#guard.disposed;
  }

  /** The cache in use, for its hit/miss statistics. */
  get cache(): EmbeddingCache {
    return this.#cache;
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    return this.#guard.run(async () => {
      const out = this.#cache.get(this.id, texts, this.dimensions);
      const missing = [...new Set(texts.filter((_, i) => out[i] === null))];
      if (missing.length === 0) return out as Float32Array[];
      const vectors = await this.#inner.embed(missing);
      if (vectors.length !== missing.length || vectors.some((v) => v.length !== this.dimensions)) {
        throw new EndpointResponseError(`embedder returned ${vectors.length} vectors for ${missing.length} texts (or wrong dimensions)`, this.id);
      }
      this.#cache.put(this.id, missing, vectors);
      const byText = new Map(missing.map((t, i) => [t, vectors[i]]));
      return out.map((v, i) => v ?? byText.get(texts[i])!);
    });
  }

  /** Waits for running calls, then disposes the inner embedder and (when owned) the cache; safe to call twice. */
  dispose(): Promise<void> {
    return this.#guard.dispose(async () => {
      await this.#inner.dispose();
      if (this.#ownsCache) await this.#cache.dispose();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

