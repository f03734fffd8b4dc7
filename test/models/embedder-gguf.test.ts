import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisposedError } from '../../core/errors.js';
import { CachedEmbedder, GgufEmbedder, createEmbedder } from '../../native-models/embedders/index.js';
import { ModelFileNotFoundError } from '../../native-models/tiers/errors.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const stories = join(repoRoot, '..', 'shared', 'models', 'stories260K.gguf');
const tmp = mkdtempSync(join(tmpdir(), 'cl-gguf-'));

describe('GGUF embedder (stories260K)', () => {
  let e: GgufEmbedder;
  beforeAll(async () => {
    e = await GgufEmbedder.create(stories);
  });
  afterAll(async () => {
    await e.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('gives 64-dimensional unit vectors, the same on every call', async () => {
    expect(e.dimensions).toBe(64);
    expect(e.id).toMatch(/^gguf:stories260K\.gguf:[0-9a-f]{16}$/);
    const [a, b] = await e.embed(['Once upon a time there was a cat.', 'The dog ran to the park.']);
    const [a2] = await e.embed(['Once upon a time there was a cat.']);
    expect(a).toHaveLength(64);
    expect([...a2]).toEqual([...a]);
    expect([...a]).not.toEqual([...b]);
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
  });

  it('cuts a text longer than the context, and embeds empty text as zeros', async () => {
    const small = await GgufEmbedder.create(stories, { contextSize: 64, threads: 1 });
    let released = 0;
    small.onDispose(() => released++);
    const [long, prefix, empty] = await small.embed(['word '.repeat(500), 'word '.repeat(400), '']);
    expect(long.every(Number.isFinite)).toBe(true);
    expect([...long]).toEqual([...prefix]); // both cut to the same first tokens
    expect([...empty]).toEqual(new Array(64).fill(0));
    await Promise.all([small.dispose(), small.dispose()]);
    expect(released).toBe(1);
    await expect(small.embed(['x'])).rejects.toBeInstanceOf(DisposedError);
  });

  it('serves concurrent calls one after another with the same results', async () => {
    const texts = ['Tim saw a bird.', 'Lily liked her red ball.', 'The sun was warm.'];
    const together = await Promise.all(texts.map((t) => e.embed([t])));
    const alone = await e.embed(texts);
    expect(together.map(([v]) => [...v])).toEqual(alone.map((v) => [...v]));
  });

  it('names a missing model file', async () => {
    const err = await GgufEmbedder.create(join(tmp, 'nope.gguf')).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ModelFileNotFoundError);
    expect(String(err)).toContain('nope.gguf');
  });

  it('through createEmbedder with a cache: the second pass is read from disk; dispose is safe twice and guards use', async () => {
    const emb = (await createEmbedder({ kind: 'gguf', path: stories }, { cacheDir: tmp })) as CachedEmbedder;
    const first = await emb.embed(['A small fox.', 'A big bear.']);
    const second = await emb.embed(['A big bear.', 'A small fox.']);
    expect(emb.cache.stats).toMatchObject({ hits: 2, misses: 2, writes: 2 });
    expect([...second[1]]).toEqual([...first[0]]);
    await emb.dispose();
    await emb.dispose();
    await expect(emb.embed(['x'])).rejects.toBeInstanceOf(DisposedError);
  });
});
