import { z } from 'zod';
import { normalise, type Embedder } from '../embedder.js';
import { InvalidInputError } from '../errors.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { FNV_OFFSET, FNV_PRIME, hexDigest, mix32 } from '../hash.js';

/**
 * The built-in embedder: TF-IDF over word 1–2-grams and character 3–5-grams, hashed into
 * 2^17 buckets (the hashing trick, so no vocabulary is stored), IDF fitted on the training
 * queries, then a seeded sparse random projection to `dimensions` (each bucket adds ±1/√4 to
 * four output dimensions). The projection is regenerated from the seed, so the fitted state is
 * only the IDF table, quantised to one byte per bucket (1/16 steps): 128 KiB, about 175 kB of
 * base64 in the config. The word and character blocks are L2-normalised separately and averaged,
 * as scikit-learn's FeatureUnion of two TfidfVectorizers would weigh them.
 */
export const BuiltinEmbedderStateSchema = z.object({
  kind: z.literal('tfidf-hash-srp'),
  dimensions: z.number().int().min(8).max(4096),
  seed: z.number().int(),
  bucketBits: z.number().int().min(8).max(24),
  /** Quantised IDF per bucket: byte × 1/16, base64. */
  idf: z.string(),
  /** Training queries the IDF was fitted on. */
  documents: z.number().int().nonnegative(),
});
export type BuiltinEmbedderState = z.infer<typeof BuiltinEmbedderStateSchema>;

export interface BuiltinEmbedderOptions {
  /** Output dimensions. Defaults to `256`. */
  dimensions?: number;
  /** Seed of the random projection. Defaults to `0`. */
  seed?: number;
  /** log2 of the number of hash buckets. Defaults to `17`. */
  bucketBits?: number;
}

const DEFAULTS = { dimensions: 256, seed: 0, bucketBits: 17 } as const;
const IDF_SCALE = 16;
const PROJECTIONS = 4;
const CHAR_SALT = 0x9e3779b9;
/** Characters read per query; the rest of a longer prompt is ignored. */
const MAX_CHARS = 1 << 16;

/**
 * Hashed n-gram counts of one text, written into `tf` (indexed by bucket) with the touched
 * buckets listed in `touched`. Word and character grams go to separate count arrays so the two
 * blocks can be normalised apart. Loops are written out (no callbacks, no substrings) because this
 * is the serving hot path.
 */
class GramCounter {
  readonly wordTf: Float32Array;
  readonly charTf: Float32Array;
  readonly wordTouched: Int32Array;
  readonly charTouched: Int32Array;
  wordCount = 0;
  charCount = 0;
  private readonly codes = new Uint16Array(MAX_CHARS);

  constructor(private readonly mask: number) {
    this.wordTf = new Float32Array(mask + 1);
    this.charTf = new Float32Array(mask + 1);
    this.wordTouched = new Int32Array(mask + 1);
    this.charTouched = new Int32Array(mask + 1);
  }

  count(text: string): void {
    this.wordCount = 0;
    this.charCount = 0;
    const { codes, mask, wordTf, charTf, wordTouched, charTouched } = this;
    // Lower-case, collapse whitespace runs to one space; the word pass reads the same codes.
    let n = 0;
    let space = true;
    for (let i = 0; i < text.length && n < MAX_CHARS; i++) {
      let c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) {
        if (space) continue;
        c = 32;
        space = true;
      } else {
        space = false;
        if (c >= 65 && c <= 90) c += 32;
      }
      codes[n++] = c;
    }
    // Word 1- and 2-grams over runs of [a-z0-9_] and non-ASCII. The running hashes stay int32
    // (fnvStep without its final `>>> 0`, which every later step and mix32 ignore): a uint32 in
    // a loop variable can be boxed as a heap number, an allocation per word on the hot path.
    let prev = 0;
    let hasPrev = false;
    let h = FNV_OFFSET | 0;
    let inWord = false;
    for (let i = 0; i <= n; i++) {
      const c = i < n ? codes[i] : 32;
      if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c > 127) {
        h = Math.imul(h ^ c, FNV_PRIME);
        inWord = true;
        continue;
      }
      if (!inWord) continue;
      const w = mix32(h) | 0;
      let b = w & mask;
      if (wordTf[b] === 0) wordTouched[this.wordCount++] = b;
      wordTf[b]++;
      if (hasPrev) {
        b = mix32(Math.imul(prev, 31) ^ w ^ 0x27d4eb2d) & mask;
        if (wordTf[b] === 0) wordTouched[this.wordCount++] = b;
        wordTf[b]++;
      }
      prev = w;
      hasPrev = true;
      h = FNV_OFFSET | 0;
      inWord = false;
    }
    // Character 3-, 4- and 5-grams.
    for (let i = 0; i + 3 <= n; i++) {
      let g = CHAR_SALT | 0;
      const end = Math.min(n, i + 5);
      for (let j = i; j < end; j++) {
        g = Math.imul(g ^ codes[j], FNV_PRIME);
        if (j - i >= 2) {
          const b = mix32(g ^ (j - i)) & mask;
          if (charTf[b] === 0) charTouched[this.charCount++] = b;
          charTf[b]++;
        }
      }
    }
  }
}

export class BuiltinEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly state: BuiltinEmbedderState;
  /** Quantised IDF per bucket (× 1/IDF_SCALE), kept as bytes, a quarter of the floats' size, so the hot path's tables fit in cache. */
  private readonly idfBytes: Uint8Array;
  /** The seed's share of every projection hash. */
  private readonly seedTerm: number;
  private readonly counter: GramCounter;
  /** One block's projection before it is normalised, reused by every call. */
  private readonly block: Float32Array;

  private constructor(state: BuiltinEmbedderState, idfBytes: Uint8Array) {
    this.state = state;
    this.dimensions = state.dimensions;
    const buckets = 1 << state.bucketBits;
    this.idfBytes = idfBytes;
    this.seedTerm = Math.imul(state.seed + 1, 0x632be5ab);
    this.counter = new GramCounter(buckets - 1);
    this.block = new Float32Array(state.dimensions);
    this.id = `builtin:tfidf-hash-srp:d${state.dimensions}:b${state.bucketBits}:s${state.seed}:${hexDigest(idfBytes)}`;
  }

  /** Fits the IDF table on the training queries. */
  static fit(texts: readonly string[], options: BuiltinEmbedderOptions = {}): BuiltinEmbedder {
    const o = { ...DEFAULTS, ...options };
    if (texts.length === 0) throw new InvalidInputError('cannot fit the built-in embedder on zero queries');
    const buckets = 1 << o.bucketBits;
    const df = new Uint32Array(buckets);
    const counter = new GramCounter(buckets - 1);
    for (const text of texts) {
      counter.count(text);
      // A bucket hit by both a word and a character gram counts once per document.
      for (let t = 0; t < counter.wordCount; t++) {
        const b = counter.wordTouched[t];
        counter.wordTf[b] = 0;
        if (counter.charTf[b] === 0) df[b]++;
      }
      for (let t = 0; t < counter.charCount; t++) {
        const b = counter.charTouched[t];
        counter.charTf[b] = 0;
        df[b]++;
      }
    }
    const n = texts.length;
    const bytes = Uint8Array.from(df, (x) => Math.min(255, Math.round((Math.log((1 + n) / (1 + x)) + 1) * IDF_SCALE)));
    const state: BuiltinEmbedderState = { kind: 'tfidf-hash-srp', dimensions: o.dimensions, seed: o.seed, bucketBits: o.bucketBits, idf: encodeBase64(bytes), documents: n };
    return new BuiltinEmbedder(state, bytes);
  }

  /** Rebuilds a fitted embedder from its serialised state. */
  static fromState(raw: unknown, where = 'embedder.state'): BuiltinEmbedder {
    const parsed = BuiltinEmbedderStateSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidInputError(`invalid built-in embedder state: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`, where);
    const bytes = decodeBase64(parsed.data.idf);
    if (!bytes || bytes.length !== 1 << parsed.data.bucketBits) {
      throw new InvalidInputError(`field "idf": expected base64 of ${1 << parsed.data.bucketBits} bytes`, where);
    }
    return new BuiltinEmbedder(parsed.data, bytes);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  /** Synchronous embedding of one query: the serving hot path. It allocates only the returned vector. */
  embedOne(text: string): Float32Array {
    const { counter: c, block } = this;
    c.count(text);
    const out = new Float32Array(this.dimensions);
    block.fill(0);
    this.project(block, c.wordTf, c.wordTouched, c.wordCount);
    addNormalised(out, block);
    block.fill(0);
    this.project(block, c.charTf, c.charTouched, c.charCount);
    addNormalised(out, block);
    normalise(out);
    return out;
  }

  /**
   * Sublinear TF × IDF of the touched buckets, projected into `out`; clears the counts it reads.
   * Each bucket's PROJECTIONS (dimension, sign) pairs are hashed here rather than read from a
   * table: a few multiplications cost less than the cache miss a 2 MiB table costs per bucket
   * on a busy server.
   */
  private project(out: Float32Array, tf: Float32Array, touched: Int32Array, count: number): void {
    const { idfBytes, seedTerm, dimensions } = this;
    const scale = 1 / Math.sqrt(PROJECTIONS);
    for (let t = 0; t < count; t++) {
      const b = touched[t];
      const w = (1 + Math.log(tf[b])) * (idfBytes[b] / IDF_SCALE) * scale;
      tf[b] = 0;
      for (let p = 0; p < PROJECTIONS; p++) {
        const r = mix32(Math.imul(b, PROJECTIONS) + p + seedTerm);
        out[(r >>> 1) % dimensions] += r & 1 ? -w : w;
      }
    }
  }
}

function addNormalised(out: Float32Array, block: Float32Array): void {
  normalise(block);
  for (let i = 0; i < out.length; i++) out[i] += block[i];
}
