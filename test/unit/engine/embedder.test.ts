import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../../core/embed/base64.js';
import { BuiltinEmbedder } from '../../../core/embed/tfidf.js';
import { formatEmbedderSpec, parseEmbedderSpec } from '../../../core/embedder.js';
import { InvalidInputError } from '../../../core/errors.js';

const texts = [
  'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.',
  'Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting.',
  'def f(nums):\n    return [x * 2 for x in nums if x % 2]\nassert f([1, 2, 3]) == ??',
  'def f(s):\n    return s.upper() + s[::-1]\nassert f("abc") == ??',
];

function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((s, x, i) => s + x * b[i], 0);
}

describe('embedder spec', () => {
  it('parses every command-line form and formats it back', () => {
    for (const text of ['builtin', 'builtin:128', 'gguf:/models/e5.gguf', 'openai:http://127.0.0.1:8080/v1#text-embedding-3-small']) {
      expect(formatEmbedderSpec(parseEmbedderSpec(text))).toBe(text);
    }
    expect(parseEmbedderSpec('openai:http://127.0.0.1:1/v1#m')).toEqual({ kind: 'openai', url: 'http://127.0.0.1:1/v1', model: 'm' });
  });
  it('names the flag and the accepted forms on bad input', () => {
    expect(() => parseEmbedderSpec('bert')).toThrow(InvalidInputError);
    expect(() => parseEmbedderSpec('bert')).toThrow(/--embedder: unknown embedder "bert" \(expected builtin/);
    expect(() => parseEmbedderSpec('builtin:3')).toThrow(/dimensions/);
    expect(() => parseEmbedderSpec('openai:http://x/v1')).toThrow(/missing #MODEL/);
    expect(() => parseEmbedderSpec('gguf:')).toThrow(InvalidInputError);
  });
});

describe('base64', () => {
  it('round-trips any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
    }));
  });
  it('agrees with Node on the encoding and rejects malformed text', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253]);
    expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    expect(decodeBase64('abc')).toBeNull();
    expect(decodeBase64('ab!d')).toBeNull();
  });
});

describe('built-in TF-IDF embedder', () => {
  const embedder = BuiltinEmbedder.fit(texts, { dimensions: 64 });

  it('gives unit vectors of the asked dimensions, the same for the same text', async () => {
    const [a, b] = await embedder.embed([texts[0], texts[0]]);
    expect(a).toHaveLength(64);
    expect(cosine(a, a)).toBeCloseTo(1, 5);
    expect(a).toEqual(b);
  });

  it('puts queries of the same task closer than queries of different tasks', () => {
    const [m1, m2, c1, c2] = texts.map((t) => embedder.embedOne(t));
    expect(cosine(m1, m2)).toBeGreaterThan(cosine(m1, c1));
    expect(cosine(c1, c2)).toBeGreaterThan(cosine(c2, m2));
  });

  it('round-trips its fitted state: same id, same vectors', () => {
    const copy = BuiltinEmbedder.fromState(JSON.parse(JSON.stringify(embedder.state)));
    expect(copy.id).toBe(embedder.id);
    expect(copy.embedOne(texts[2])).toEqual(embedder.embedOne(texts[2]));
  });

  it('changes its id with the fitted state or the seed', () => {
    expect(BuiltinEmbedder.fit(texts.slice(1), { dimensions: 64 }).id).not.toBe(embedder.id);
    expect(BuiltinEmbedder.fit(texts, { dimensions: 64, seed: 1 }).id).not.toBe(embedder.id);
  });

  it('keeps the fitted state compact', () => {
    expect(JSON.stringify(BuiltinEmbedder.fit(texts).state).length).toBeLessThan(200_000);
  });

  it('refuses a state with a truncated IDF table, naming the field', () => {
    expect(() => BuiltinEmbedder.fromState({ ...embedder.state, idf: 'AAAA' }, 'cfg.json: embedder.state')).toThrow(/cfg\.json: embedder\.state: field "idf"/);
    expect(() => BuiltinEmbedder.fromState({ kind: 'other' })).toThrow(InvalidInputError);
    expect(() => BuiltinEmbedder.fit([])).toThrow(/zero queries/);
  });

  it('embeds empty and whitespace-only text as a zero vector without failing', () => {
    expect([...embedder.embedOne('   ')].every((x) => x === 0)).toBe(true);
  });
});
