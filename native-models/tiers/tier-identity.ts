import { isAbsolute, resolve } from 'node:path';
import type { TierSpec } from '../../core/pool.js';

/** A model URI that node-llama-cpp's resolver understands (hf:, https:, …), as opposed to a file path. */
export const MODEL_URI = /^[a-z][a-z0-9+.-]+:(?!\\)/i;

/**
 * What model a tier is, in words: a run records it so that a resume cannot swap the model behind a
 * tier's name. A GGUF path is made absolute against the pool file's folder (`m.gguf` and `./m.gguf`
 * are one file; two pools' `m.gguf` in two folders are two); a URI stays as written.
 */
export function tierIdentity(spec: TierSpec, baseDir: string): string {
  if (spec.kind === 'cloud') return `model "${spec.model}" at ${spec.baseUrl}`;
  return `the GGUF model ${MODEL_URI.test(spec.model) && !isAbsolute(spec.model) ? spec.model : resolve(baseDir, spec.model)}`;
}
