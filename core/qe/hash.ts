/**
 * Feature hashing for the QE: text n-grams map to a fixed number of slots with a sign bit,
 * so the model's size does not grow with the vocabulary and unseen words at request time
 * need no dictionary. FNV-1a is hand-written because the core may not use Node's crypto,
 * and a 32-bit non-cryptographic hash is all that hashing features needs. N-grams are hashed
 * by combining their tokens' hashes, never by building n-gram strings: scoring stays well
 * under a millisecond per answer.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a of a string's UTF-16 code units, continuing from `seed`. */
export function fnv1a(text: string, seed = FNV_OFFSET): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** Mixes two 32-bit hashes into one (order matters), with a murmur3-style finaliser. */
export function combine(a: number, b: number): number {
  let h = Math.imul(a ^ (b + 0x9e3779b9 + (a << 6) + (a >>> 2)), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hashes of lower-cased word tokens: runs of letters or digits, and single marks that carry meaning in answers. */
export function wordHashes(text: string, limit: number): number[] {
  const out: number[] = [];
  const re = /[\p{L}\p{N}]+|[=?!$%{}[\]]/gu;
  const lower = text.length > limit * 12 ? text.slice(0, limit * 12).toLowerCase() : text.toLowerCase();
  let m: RegExpExecArray | null;
  while ((m = re.exec(lower)) !== null && out.length < limit) out.push(fnv1a(m[0]));
  return out;
}

/** Hashes of the character n-grams of `text` with boundary marks (for short final answers). */
export function charNgramHashes(text: string, n: number): number[] {
  const s = `^${text}$`;
  const out: number[] = [];
  for (let i = 0; i + n <= s.length; i++) {
    let h = FNV_OFFSET;
    for (let j = i; j < i + n; j++) h = Math.imul(h ^ s.charCodeAt(j), FNV_PRIME);
    out.push(h >>> 0);
  }
  return out;
}

/** Unigram hashes followed by bigram hashes of a token-hash list. */
export function withBigrams(tokens: readonly number[]): number[] {
  const out = [...tokens];
  for (let i = 0; i + 1 < tokens.length; i++) out.push(combine(tokens[i], tokens[i + 1]));
  return out;
}

/**
 * Appends one block of hashed features to (slots, values): each key is salted with the block's
 * namespace so the same word in the query and in the answer lands in different slots, and the
 * block is scaled to unit length so long answers do not outweigh short ones.
 */
export function addHashedBlock(slots: number[], values: number[], namespace: string, keys: readonly number[], bits: number): void {
  if (keys.length === 0) return;
  const salt = fnv1a(namespace);
  const mask = (1 << bits) - 1;
  const v = 1 / Math.sqrt(keys.length);
  for (const key of keys) {
    const h = combine(salt, key);
    slots.push(h & mask);
    // The top bit picks the sign, so colliding keys cancel on average instead of piling up.
    values.push(h & 0x80000000 ? -v : v);
  }
}
