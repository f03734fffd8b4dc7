import type { Embedder } from '../../core/embedder.js';
import { DisposedError } from '../../core/errors.js';

/** An embedder that owns resources (a model, a cache handle): dispose() frees them, safe to call twice. */
export interface ManagedEmbedder extends Embedder {
  readonly disposed: boolean;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Wraps an embedder that owns nothing (the built-in one) so every embedder is disposed alike. */
export function unmanaged(embedder: Embedder): ManagedEmbedder {
  let disposed = false;
  const dispose = async () => {
    disposed = true;
  };
  return {
    id: embedder.id,
    dimensions: embedder.dimensions,
    get disposed() {
      return disposed;
    },
    embed: async (texts) => {
      if (disposed) throw new DisposedError('the embedder was used after dispose()', embedder.id);
      return embedder.embed(texts);
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
