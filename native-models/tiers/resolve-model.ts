import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { resolveModelFile } from 'node-llama-cpp';
import { ModelFileNotFoundError } from './errors.js';
import { MODEL_URI } from './tier-identity.js';

/** Where and how a local model (a tier's or the GGUF embedder's) is found. */
export interface ModelResolveOptions {
  /** Folder a relative model path is resolved against. Defaults to `process.cwd()`. */
  baseDir?: string;
  /**
   * Folder a model URI (`hf:…`, `https://…`) is resolved from and downloaded to. A file already
   * there under the name node-llama-cpp's resolver gives the URI (`hf:user/repo/dir/file.gguf` →
   * `hf_user_repo_dir_file.gguf`; `hf:user/repo-GGUF:Q8_0` → `hf_user_repo.Q8_0.gguf`) is used
   * as it is, with no network access. Defaults to node-llama-cpp's global models folder
   * (`~/.node-llama-cpp/models`).
   */
  modelsDir?: string;
  /** Download a model URI's file when it is not in `modelsDir` yet; `false` fails at once instead. Defaults to `true`. */
  download?: boolean;
  /**
   * Cancels resolving (downloading). The call rejects with the signal's reason as soon as it
   * fires, even where node-llama-cpp's resolver does not listen (offline, its downloader retries
   * a missing file for minutes before it gives up; those retries end in the background). Defaults
   * to none.
   */
  signal?: AbortSignal;
}


/**
 * The GGUF file a model spec names: a path (relative to `baseDir`) or a URI resolved by
 * node-llama-cpp's own `resolveModelFile`. Anything that cannot be found is a
 * ModelFileNotFoundError whose `where` is `where` and whose message names the path or URI.
 */
export async function resolveModelPath(model: string, options: ModelResolveOptions, where: string): Promise<string> {
  if (MODEL_URI.test(model) && !isAbsolute(model)) {
    try {
      const resolving = resolveModelFile(model, {
        cli: false,
        ...(options.modelsDir !== undefined && { directory: options.modelsDir }),
        ...(options.download === false && { download: false }),
        ...(options.signal && { signal: options.signal }),
      });
      return await untilAborted(resolving, options.signal);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new ModelFileNotFoundError(`cannot resolve model "${model}": ${(err as Error).message}`, where);
    }
  }
  const absolute = resolve(options.baseDir ?? process.cwd(), model);
  if (!existsSync(absolute)) throw new ModelFileNotFoundError(`GGUF file not found: ${absolute}`, where);
  return resolveModelFile(absolute, { cli: false, download: false });
}

/** `promise`'s outcome, or a rejection with `signal`'s reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (err: unknown) => (signal.removeEventListener('abort', onAbort), reject(err)),
    );
  });
}
