import { z } from 'zod';
import { InvalidInputError } from './errors.js';

/**
 * Which embedder turns query text into vectors. `builtin` is fitted on the training queries and
 * needs no download; `gguf` and `openai` are implemented on the Node side (native-models/embedders).
 */
export const EmbedderSpecSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('builtin'),
    /** Output dimensions of the built-in TF-IDF embedder. Defaults to `256`. */
    dimensions: z.number().int().min(8).max(4096).optional(),
  }),
  z.object({ kind: z.literal('gguf'), path: z.string().min(1) }),
  z.object({ kind: z.literal('openai'), url: z.string().url(), model: z.string().min(1) }),
]);
export type EmbedderSpec = z.infer<typeof EmbedderSpecSchema>;

/** Anything that turns texts into fixed-length vectors. */
export interface Embedder {
  /** Stable id: includes the spec and a hash of any fitted state. Used as the embedding cache key. */
  readonly id: string;
  readonly dimensions: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** Builds an embedder for a non-builtin spec (the Node side supplies one; the core has none). */
export type EmbedderFactory = (spec: EmbedderSpec) => Promise<Embedder>;

/** Scales `v` in place to unit length (a zero vector stays zero) and returns it. */
export function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s === 0) return v;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}

/**
 * Parses the command-line form of an embedder spec: `builtin`, `builtin:DIMS`, `gguf:PATH` or
 * `openai:URL#MODEL`.
 */
export function parseEmbedderSpec(text: string, where = '--embedder'): EmbedderSpec {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const usage = 'expected builtin, builtin:DIMS, gguf:PATH or openai:URL#MODEL';
  let candidate: unknown;
  switch (kind) {
    case 'builtin':
      candidate = rest === '' ? { kind } : { kind, dimensions: Number(rest) };
      break;
    case 'gguf':
      candidate = { kind, path: rest };
      break;
    case 'openai': {
      const hash = rest.lastIndexOf('#');
      if (hash < 0) throw new InvalidInputError(`"${text}": missing #MODEL (${usage})`, where);
      candidate = { kind, url: rest.slice(0, hash), model: rest.slice(hash + 1) };
      break;
    }
    default:
      throw new InvalidInputError(`unknown embedder "${text}" (${usage})`, where);
  }
  const parsed = EmbedderSpecSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(`"${text}": ${issue.path.join('.') || 'value'}: ${issue.message} (${usage})`, where);
  }
  return parsed.data;
}

/** The command-line form of a spec, the inverse of parseEmbedderSpec. */
export function formatEmbedderSpec(spec: EmbedderSpec): string {
  switch (spec.kind) {
    case 'builtin':
      return spec.dimensions === undefined ? 'builtin' : `builtin:${spec.dimensions}`;
    case 'gguf':
      return `gguf:${spec.path}`;
    case 'openai':
      return `openai:${spec.url}#${spec.model}`;
  }
}
