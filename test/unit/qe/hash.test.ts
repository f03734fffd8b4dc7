import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { charNgramHashesInto, HashBuffer, wordHashes, wordHashesInto } from '../../../core/qe/hash.js';

// The allocation-free tokeniser must give exactly the hashes of the regex definition, on any
// text: ASCII, letters whose lower case changes length or depends on context, surrogates.
const pieces = fc.oneof(
  fc.constantFrom('Σ', 'σ', 'ς', 'ΣΑΣ', 'İ', 'ı', '\u212a', 'ẞ', 'ß', 'Ǆ', 'ǅ', 'é', 'É', '×', '→', '😀', '𝐀', '\ud800', '\udc00', '٣', '²', 'Ω', 'Å', 'ﬁ'),
  fc.constantFrom('1', 'a', 'B', 'Zz', ' ', '=', '?', '!', '$', '%', '{', '}', '[', ']', '_', '-', '\n', '.', ',', '42'),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
);
const texts = fc.array(pieces, { maxLength: 40 }).map((xs) => xs.join(''));

const into = (text: string, limit: number, prefix: number[] = []) => {
  const out = new HashBuffer(4);
  for (const x of prefix) out.push(x);
  wordHashesInto(text, limit, out);
  return Array.from(out.data.subarray(0, out.length));
};

describe('QE feature hashing', () => {
  it('wordHashesInto gives the regex definition’s hashes on any text and limit', () => {
    fc.assert(
      fc.property(texts, fc.integer({ min: 1, max: 30 }), (text, limit) => {
        expect(into(text, limit)).toEqual(wordHashes(text, limit));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps what the buffer held before, also when it falls back to the regex', () => {
    for (const text of ['plain ascii words', 'ΟΔΥΣΣΕΥΣ', 'İi 😀 x']) {
      expect(into(text, 50, [7, 8, 9])).toEqual([7, 8, 9, ...wordHashes(text, 50)]);
    }
  });

  it('reads at most limit × 12 characters, as the definition does', () => {
    const long = `${'abc '.repeat(40)}é${'Σ'.repeat(30)}`;
    for (const limit of [1, 3, 13, 14, 100]) expect(into(long, limit)).toEqual(wordHashes(long, limit));
  });

  it('charNgramHashesInto hashes the n-grams of ^text$', () => {
    fc.assert(
      fc.property(texts, fc.integer({ min: 1, max: 5 }), (text, n) => {
        const s = `^${text}$`;
        const expected: number[] = [];
        for (let i = 0; i + n <= s.length; i++) {
          let h = 0x811c9dc5;
          for (let j = i; j < i + n; j++) h = Math.imul(h ^ s.charCodeAt(j), 0x01000193);
          expected.push(h >>> 0);
        }
        const out = new HashBuffer(2);
        charNgramHashesInto(text, n, out);
        expect(Array.from(out.data.subarray(0, out.length))).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });
});
