/**
 * Feature hashing for the QE: text n-grams map to a fixed number of slots with a sign bit,
 * so the model's size does not grow with the vocabulary and unseen words at request time
 * need no dictionary. Tokens are hashed with the core's FNV-1a (../hash.ts); n-grams are hashed
 * by combining their tokens' hashes, never by building n-gram strings. The built-in embedder
 * hashes its own n-grams (embed/tfidf.ts) on purpose: both tokenisations are part of fitted
 * state (the embedder's IDF buckets, the QE's weights) stored in every tuned config.
 *
 * Scoring is on the serving hot path, so the functions that build a feature row write into
 * reusable typed buffers (`HashBuffer`, `FeatureBuffer`) and read the text by char code: no
 * lower-cased copy, no regex match objects, no substrings, no number[] growth. `wordHashes`
 * keeps the definition they must reproduce bit for bit (a regex over the lower-cased text).
 */
import { fnv1a, FNV_OFFSET, FNV_PRIME } from '../hash.js';

/** Mixes two 32-bit hashes into one (order matters), with a murmur3-style finaliser. */
export function combine(a: number, b: number): number {
  let h = Math.imul(a ^ (b + 0x9e3779b9 + (a << 6) + (a >>> 2)), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A growable list of 32-bit hashes in a typed array; `length` is the used part. */
export class HashBuffer {
  data: Uint32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Uint32Array(capacity);
  }
  push(h: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = h;
  }
}

/** A growable list of (slot, value) pairs in parallel typed arrays; `length` is the used part. */
export class FeatureBuffer {
  slots: Int32Array;
  values: Float64Array;
  length = 0;
  constructor(capacity = 2048) {
    this.slots = new Int32Array(capacity);
    this.values = new Float64Array(capacity);
  }
  push(slot: number, value: number): void {
    if (this.length === this.slots.length) {
      const slots = new Int32Array(this.slots.length * 2);
      const values = new Float64Array(this.slots.length * 2);
      slots.set(this.slots);
      values.set(this.values);
      this.slots = slots;
      this.values = values;
    }
    this.slots[this.length] = slot;
    this.values[this.length++] = value;
  }
}

const WORD_TOKEN = /[\p{L}\p{N}]+|[=?!$%{}[\]]/gu;

/**
 * Hashes of lower-cased word tokens: runs of letters or digits, and single marks that carry
 * meaning in answers. Reads at most `limit × 12` characters and returns at most `limit` hashes.
 * This is the definition; `wordHashesInto` computes the same without allocating.
 */
export function wordHashes(text: string, limit: number): number[] {
  const out: number[] = [];
  const re = new RegExp(WORD_TOKEN);
  const lower = text.length > limit * 12 ? text.slice(0, limit * 12).toLowerCase() : text.toLowerCase();
  let m: RegExpExecArray | null;
  while ((m = re.exec(lower)) !== null && out.length < limit) out.push(fnv1a(m[0]));
  return out;
}

// What one UTF-16 code unit is to the word tokeniser once the text is lower-cased, learnt on
// first sight from the regex itself (so it cannot drift from `wordHashes`): its lower-case code
// unit, and whether that is part of a word. Units whose lower case is not one code unit or
// depends on its neighbours (İ → i̇, final Σ → ς) and surrogates are left to the regex.
const UNKNOWN = 0;
const WORD = 1;
const SEPARATOR = 2;
const COMPLEX = 3;
let unitKind: Uint8Array | null = null;
let unitLower: Uint16Array | null = null;

function classify(c: number): number {
  unitKind ??= new Uint8Array(0x10000);
  unitLower ??= new Uint16Array(0x10000);
  let kind = COMPLEX;
  const lower = String.fromCharCode(c).toLowerCase();
  if (c !== 0x3a3 && (c < 0xd800 || c > 0xdfff) && lower.length === 1) {
    unitLower[c] = lower.charCodeAt(0);
    kind = /^[\p{L}\p{N}]$/u.test(lower) ? WORD : /^[=?!$%{}[\]]$/.test(lower) ? COMPLEX : SEPARATOR;
  }
  unitKind[c] = kind;
  return kind;
}

/**
 * Appends `wordHashes(text, limit)` to `out` without allocating: lower-cases and hashes code
 * unit by code unit. A text with a code unit whose lower case depends on context falls back to
 * the regex definition (the appended part is replaced, so the result is the same either way).
 */
export function wordHashesInto(text: string, limit: number, out: HashBuffer): void {
  const start = out.length;
  const end = Math.min(text.length, limit * 12);
  let h = FNV_OFFSET;
  let inWord = false;
  let n = 0;
  for (let i = 0; i < end && n < limit; i++) {
    let c = text.charCodeAt(i);
    let word: boolean;
    if (c < 128) {
      if (c >= 65 && c <= 90) c += 32;
      word = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
      if (!word && (c === 61 || c === 63 || c === 33 || c === 36 || c === 37 || c === 123 || c === 125 || c === 91 || c === 93)) {
        // A mark is a token of its own, and ends the word before it.
        if (inWord) {
          out.push(h >>> 0);
          h = FNV_OFFSET;
          inWord = false;
          if (++n >= limit) break;
        }
        out.push(Math.imul(FNV_OFFSET ^ c, FNV_PRIME) >>> 0);
        n++;
        continue;
      }
    } else {
      let kind = unitKind === null ? UNKNOWN : unitKind[c];
      if (kind === UNKNOWN) kind = classify(c);
      if (kind === COMPLEX) {
        out.length = start;
        for (const x of wordHashes(text, limit)) out.push(x);
        return;
      }
      word = kind === WORD;
      c = unitLower![c];
    }
    if (word) {
      h = Math.imul(h ^ c, FNV_PRIME);
      inWord = true;
    } else if (inWord) {
      out.push(h >>> 0);
      h = FNV_OFFSET;
      inWord = false;
      n++;
    }
  }
  if (inWord && n < limit) out.push(h >>> 0);
}

/**
 * Appends the hashes of the character n-grams of `^text$` (boundary marks, for short final
 * answers) to `out`, without building the marked string.
 */
export function charNgramHashesInto(text: string, n: number, out: HashBuffer): void {
  const len = text.length + 2;
  for (let i = 0; i + n <= len; i++) {
    let h = FNV_OFFSET;
    for (let j = i; j < i + n; j++) h = Math.imul(h ^ (j === 0 ? 94 : j === len - 1 ? 36 : text.charCodeAt(j - 1)), FNV_PRIME);
    out.push(h >>> 0);
  }
}

/** Appends the bigram hashes of `out`'s entries from `from` on (unigrams stay first). */
export function appendBigrams(out: HashBuffer, from: number): void {
  const end = out.length;
  for (let i = from; i + 1 < end; i++) out.push(combine(out.data[i], out.data[i + 1]));
}

/**
 * Appends one block of hashed features to `row`: each key is salted with the block's
 * namespace so the same word in the query and in the answer lands in different slots, and the
 * block is scaled to unit length so long answers do not outweigh short ones.
 */
export function addHashedBlock(row: FeatureBuffer, namespace: string, keys: HashBuffer, bits: number): void {
  const count = keys.length;
  if (count === 0) return;
  const salt = fnv1a(namespace);
  const mask = (1 << bits) - 1;
  const v = 1 / Math.sqrt(count);
  for (let k = 0; k < count; k++) {
    const h = combine(salt, keys.data[k]);
    // The top bit picks the sign, so colliding keys cancel on average instead of piling up.
    row.push(h & mask, h & 0x80000000 ? -v : v);
  }
}
