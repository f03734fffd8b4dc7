// A finished tune is read back from the tune cache on the next launch, never when the run log,
// the settings or the engine's code differ; a damaged entry is a miss.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TuneReport } from '../../../core/app-api.js';
import { AppService } from '../../../server/app/app-service.js';
import { TuneCache, engineFingerprint } from '../../../server/app/tune-cache.js';

const SIMULATED = 'fixtures/simulated';
const withoutTiming = ({ durationMs: _d, fromCache: _c, ...rest }: TuneReport) => rest;

describe('tune cache', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cascade-lab-tune-cache-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keys on the data, the options and the engine; a damaged entry is a miss', async () => {
    const cache = new TuneCache({ dir, maxEntries: 2 });
    const options = { k: 'auto' as const, costMetric: 'usd' as const, trainFraction: 0.6, seed: 0, pricing: { perModel: {} } };
    const key = cache.key({ sha256: ['a'] }, options);
    expect(engineFingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(cache.key({ sha256: ['a'] }, options)).toBe(key);
    expect(cache.key({ sha256: ['b'] }, options)).not.toBe(key);
    expect(cache.key({ sha256: ['a'] }, { ...options, seed: 1 })).not.toBe(key);
    expect(await cache.get(key)).toBeNull();
    const value = { config: { version: 1 }, report: { split: {} }, embeddings: Float32Array.of(1, 2, 3), durationMs: 1234 } as never;
    await cache.put(key, value);
    const back = await cache.get(key);
    expect(back?.durationMs).toBe(1234);
    expect(back?.embeddings).toEqual(Float32Array.of(1, 2, 3));
    await writeFile(join(dir, `${key}.tune`), 'not a serialised entry');
    expect(await cache.get(key)).toBeNull();
    for (const seed of [1, 2, 3]) await cache.put(cache.key({ sha256: ['a'] }, { ...options, seed }), value);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tune'))).toHaveLength(2);
  });

  it('reads a tune back on the next launch, and tunes again when the settings change', async () => {
    const tuneCacheDir = join(dir, 'service');
    const first = await AppService.create({ simulatedDir: SIMULATED, tuneCacheDir });
    const tuned = await first.tune({ k: 'auto' });
    expect(tuned.fromCache).toBe(false);
    const map = await first.getClusterMap({ projection: 'pca' });
    // dispose() waits for the entry being written.
    await first.dispose();
    expect((await readdir(tuneCacheDir)).filter((n) => n.endsWith('.tune'))).toHaveLength(1);

    const second = await AppService.create({ simulatedDir: SIMULATED, tuneCacheDir });
    const again = await second.tune({ k: 'auto' });
    expect(again.fromCache).toBe(true);
    expect(again.durationMs).toBeCloseTo(tuned.durationMs, 6);
    expect(withoutTiming(again)).toEqual(withoutTiming(tuned));
    expect(await second.getClusterMap({ projection: 'pca' })).toEqual(map);
    const ws = (await second.getState()).workspace!;
    await second.setSettings({ ...ws.settings, split: { ...ws.settings.split, seed: 7 } });
    expect((await second.tune({ k: 'auto' })).fromCache).toBe(false);
    await second.dispose();
  });
});
