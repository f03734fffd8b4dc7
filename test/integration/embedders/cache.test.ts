import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DisposedError, InvalidInputError } from '../../../core/errors.js';
import { CachedEmbedder, EmbeddingCache, createEmbedder, defaultEmbeddingCacheDir, embeddingKey } from '../../../native-models/embedders/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'cl-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dir = () => join(tmp, `c${n++}`);

const QUERIES = ['What is 2 + 2?', 'Write a haiku about rain.', 'Summarise the French revolution.', 'def f(x): return x * 2'];

describe('EmbeddingCache', () => {
  it('stores vectors by content hash and reads them back after reopening', async () => {
    const d = dir();
    const a = await EmbeddingCache.open(d);
    a.put('emb-1', ['x', 'y'], [Float32Array.of(1, 2, 3), Float32Array.of(4, 5, 6)]);
    await a.dispose();
    await using b = await EmbeddingCache.open(d);
    expect(b.size()).toBe(2);
    const [x, z, y] = b.get('emb-1', ['x', 'z', 'y'], 3);
    expect([...x!]).toEqual([1, 2, 3]);
    expect(z).toBeNull();
    expect([...y!]).toEqual([4, 5, 6]);
    expect(b.get('emb-2', ['x'], 3)).toEqual([null]); // another embedder id is another key
    expect(b.get('emb-1', ['x'], 4)).toEqual([null]); // other dimensions never match
    expect(b.stats).toEqual({ hits: 2, misses: 3, writes: 0 });
  });

  it('keys on sha256 of embedder id and text, so near-identical inputs do not collide', () => {
    expect(embeddingKey('a', 'bc').equals(embeddingKey('ab', 'c'))).toBe(false);
    expect(embeddingKey('a', 'b')).toHaveLength(32);
  });

  it('moves a corrupt cache file aside and starts afresh', async () => {
    const d = dir();
    const first = await EmbeddingCache.open(d);
    await first.dispose();
    writeFileSync(join(d, 'embeddings.sqlite'), 'this is not a database, just garbage bytes '.repeat(200));
    for (const f of readdirSync(d)) if (f.endsWith('-wal') || f.endsWith('-shm')) rmSync(join(d, f));
    await using cache = await EmbeddingCache.open(d);
    expect(cache.size()).toBe(0);
    expect(readdirSync(d).some((f) => f.includes('.corrupt-'))).toBe(true);
  });

  it('is guarded after dispose, and dispose is safe twice', async () => {
    const cache = await EmbeddingCache.open(dir());
    await cache.dispose();
    await cache.dispose();
    expect(cache.disposed).toBe(true);
    expect(() => cache.get('e', ['x'], 3)).toThrow(DisposedError);
  });
});

describe('createEmbedder with a cache', () => {
  it('wraps the built-in embedder: a second pass is all cache hits and gives identical vectors', async () => {
    const cacheDir = dir();
    await using first = await createEmbedder({ kind: 'builtin', dimensions: 32 }, { cacheDir, fitTexts: QUERIES });
    expect(first).toBeInstanceOf(CachedEmbedder);
    const cached = first as CachedEmbedder;
    const v1 = await first.embed([...QUERIES, QUERIES[0]]);
    expect(cached.cache.stats).toMatchObject({ hits: 0, misses: 5, writes: 4 }); // the repeated text is embedded once
    const v2 = await first.embed(QUERIES);
    expect(cached.cache.stats).toMatchObject({ hits: 4, misses: 5, writes: 4 });
    expect(v2.map((v) => [...v])).toEqual(v1.slice(0, 4).map((v) => [...v]));
    expect(v1[0]).toHaveLength(32);
  });

  it('shares the cache across embedder instances with the same id, and not across different ids', async () => {
    const cacheDir = dir();
    const a = await createEmbedder({ kind: 'builtin', dimensions: 16 }, { cacheDir, fitTexts: QUERIES });
    await a.embed(QUERIES);
    await a.dispose();
    await using same = (await createEmbedder({ kind: 'builtin', dimensions: 16 }, { cacheDir, fitTexts: QUERIES })) as CachedEmbedder;
    await same.embed(QUERIES);
    expect(same.cache.stats.hits).toBe(4);
    await using other = (await createEmbedder({ kind: 'builtin', dimensions: 16 }, { cacheDir, fitTexts: QUERIES.slice(1) })) as CachedEmbedder;
    expect(other.id).not.toBe(same.id);
    await other.embed(QUERIES);
    expect(other.cache.stats.hits).toBe(0);
  });

  it('rejects use after dispose and a built-in spec with nothing to fit', async () => {
    const e = await createEmbedder({ kind: 'builtin' }, { cacheDir: dir(), fitTexts: QUERIES });
    await e.dispose();
    await e.dispose();
    await expect(e.embed(['x'])).rejects.toBeInstanceOf(DisposedError);
    await expect(createEmbedder({ kind: 'builtin' })).rejects.toBeInstanceOf(InvalidInputError);
    const plain = await createEmbedder({ kind: 'builtin' }, { fitTexts: QUERIES });
    await plain.dispose();
    await expect(plain.embed(['x'])).rejects.toBeInstanceOf(DisposedError);
  });

  it('puts the default cache under XDG_CACHE_HOME', () => {
    expect(defaultEmbeddingCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/cascade-lab/embeddings');
  });
});
