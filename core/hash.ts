// Small non-cryptographic hashes, one copy for the whole core: the built-in embedder hashes
// n-grams into buckets with them and the QE hashes its text features. Hand-written because the
// core may not use Node's crypto, a 32-bit non-cryptographic hash is all that hashing features
// needs, and the hot paths hash char codes without allocating substrings.

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a 32-bit step: h = (h ^ x) * 16777619 mod 2^32. */
export function fnvStep(h: number, x: number): number {
  return Math.imul(h ^ x, FNV_PRIME) >>> 0;
}

/** 32-bit FNV-1a of a string's UTF-16 code units, continuing from `seed`. */
export function fnv1a(text: string, seed = FNV_OFFSET): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = fnvStep(h, text.charCodeAt(i));
  return h;
}

/** A 32-bit integer finaliser (murmur3 fmix32), to spread FNV's low bits before masking. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Two independent FNV-1a lanes over `length` units read by `at`, as 16 hex digits. */
function twoLanes(length: number, at: (i: number) => number): string {
  let a = FNV_OFFSET;
  let b = FNV_OFFSET ^ 0x5bd1e995;
  for (let i = 0; i < length; i++) {
    const x = at(i);
    a = fnvStep(a, x);
    b = fnvStep(b, x ^ 0xa5);
  }
  return mix32(a).toString(16).padStart(8, '0') + mix32(b).toString(16).padStart(8, '0');
}

/** A 64-bit-ish hex digest of bytes (two independent FNV-1a lanes), for stable ids of fitted state. */
export function hexDigest(bytes: Uint8Array): string {
  return twoLanes(bytes.length, (i) => bytes[i]);
}

/** The same digest over a string's UTF-16 code units, for ids of JSON documents. */
export function textDigest(text: string): string {
  return twoLanes(text.length, (i) => text.charCodeAt(i));
}
