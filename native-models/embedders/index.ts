import { homedir } from 'node:os';
import { join } from 'node:path';
import { BuiltinEmbedder } from '../../core/embed/tfidf.js';
import { EmbedderSpecSchema, type EmbedderFactory, type EmbedderSpec } from '../../core/embedder.js';
import { InvalidInputError } from '../../core/errors.js';
import { parseOrThrow } from '../../core/runlog.js';
import { CachedEmbedder } from './cached-embedder.js';
import { EmbeddingCache } from './embedding-cache.js';
import { GgufEmbedder, type GgufEmbedderOptions } from './gguf-embedder.js';
import { unmanaged, type ManagedEmbedder } from './managed-embedder.js';
import { OpenAiEmbedder, type OpenAiEmbedderOptions } from './openai-embedder.js';

export { CachedEmbedder } from './cached-embedder.js';
export { EmbeddingCache, embeddingKey, type EmbeddingCacheOptions, type EmbeddingCacheStats } from './embedding-cache.js';
export { GgufEmbedder, type GgufEmbedderOptions } from './gguf-embedder.js';
export type { ManagedEmbedder } from './managed-embedder.js';
export { OpenAiEmbedder, type OpenAiEmbedderOptions } from './openai-embedder.js';

export interface CreateEmbedderOptions {
  /** Folder of the on-disk embedding cache, used for every kind of embedder. Defaults to none (no cache). */
  cacheDir?: string;
  /** Built-in embedder only: the queries its IDF is fitted on (usually the train split's prompts). Either this or `builtinState` is required for `builtin`. Defaults to none. */
  fitTexts?: readonly string[];
  /** Built-in embedder only: a fitted state from a tuned config, used instead of fitting. Defaults to none. */
  builtinState?: unknown;
  /** Built-in embedder only: seed of its random projection. Defaults to `0`. */
  seed?: number;
  /** GGUF embedder options. Defaults to `{}`. */
  gguf?: GgufEmbedderOptions;
  /** OpenAI-compatible embedder options. Defaults to `{}`. */
  openai?: OpenAiEmbedderOptions;
}

/** The per-user cache folder: `$XDG_CACHE_HOME/cascade-lab/embeddings`, else `~/.cache/cascade-lab/embeddings`. */
export function defaultEmbeddingCacheDir(env: Record<string, string | undefined> = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cascade-lab', 'embeddings');
}

async function createUncached(spec: EmbedderSpec, options: CreateEmbedderOptions): Promise<ManagedEmbedder> {
  switch (spec.kind) {
    case 'builtin': {
      if (options.builtinState !== undefined) return unmanaged(BuiltinEmbedder.fromState(options.builtinState));
      if (!options.fitTexts) throw new InvalidInputError('the built-in embedder needs texts to fit on (fitTexts) or a fitted state (builtinState)', '--embedder builtin');
      return unmanaged(BuiltinEmbedder.fit(options.fitTexts, { seed: options.seed ?? 0, ...(spec.dimensions !== undefined && { dimensions: spec.dimensions }) }));
    }
    case 'gguf':
      return GgufEmbedder.create(spec.path, options.gguf);
    case 'openai':
      return OpenAiEmbedder.create(spec.url, spec.model, options.openai);
  }
}

/**
 * Builds the embedder a spec names — the core's built-in TF-IDF embedder, a GGUF model through
 * node-llama-cpp, or an OpenAI-compatible endpoint — behind the on-disk cache when `cacheDir` is set.
 * The caller owns the result and disposes it.
 */
export async function createEmbedder(spec: EmbedderSpec, options: CreateEmbedderOptions = {}): Promise<ManagedEmbedder> {
  const valid = parseOrThrow(EmbedderSpecSchema, spec, 'embedder spec');
  const inner = await createUncached(valid, options);
  if (options.cacheDir === undefined) return inner;
  try {
    return new CachedEmbedder(inner, await EmbeddingCache.open(options.cacheDir));
  } catch (err) {
    await inner.dispose();
    throw err;
  }
}

/** createEmbedder as the core's EmbedderFactory (for `tune`'s `embedderFactory` option). */
export function embedderFactory(options: CreateEmbedderOptions = {}): EmbedderFactory {
  return (spec) => createEmbedder(spec, options);
}
