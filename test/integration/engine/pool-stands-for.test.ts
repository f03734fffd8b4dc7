// A pool whose tiers stand for run-log models (`standsFor`), the pool `serve` needs, is one
// tuning accepts too, from the CLI and from the app.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.js';
import { AppService } from '../../../server/app/app-service.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';

const SIMULATED = resolve(import.meta.dirname, '../../../fixtures/simulated');
let dir: string;
let models: string[];
const tier = (name: string, standsFor: string[], tpotMs: number) => ({ kind: 'cloud' as const, name, baseUrl: 'http://127.0.0.1:9/v1', model: name, usdPerMtokIn: 1, usdPerMtokOut: 2, tpotMs, standsFor });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stands-for-'));
  models = (await loadRunLog(SIMULATED)).models;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tuning with a pool that uses standsFor', () => {
  it('prices each model as the tier that stands for it (cascade-lab tune --pool)', async () => {
    const pool = join(dir, 'pool.json');
    await writeFile(pool, JSON.stringify({ version: 1, tiers: [tier('small', models.slice(0, 3), 7), tier('large', models.slice(3), 40)] }));
    const r = await cli('tune', '--data', SIMULATED, '--cost', 'tpot', '--pool', pool, '--k', '1', '--no-cascade', '--out', join(dir, 'tuned.json'), '--json');
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cost: { metric: 'tpot' }, k: 1 });

    await writeFile(pool, JSON.stringify({ version: 1, tiers: [tier('small', [models[0], 'sim-typo'], 7)] }));
    const typo = await cli('tune', '--data', SIMULATED, '--pool', pool, '--out', join(dir, 'never.json'));
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown model "sim-typo" in pricing \(tier "small"/);
  }, 60_000);

  it('tunes in the app with that pool set', async () => {
    const service = await AppService.create({ simulatedDir: SIMULATED });
    try {
      await service.setPool({ version: 1, tiers: [tier('small', models.slice(0, 3), 7), tier('large', models.slice(3), 40)].map((t) => ({ ...t, concurrency: 1, timeoutMs: 5000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 16, stop: [] } })) });
      await service.setSettings({ costMetric: 'tpot', split: { trainFraction: 0.7, seed: 1 } });
      const report = await service.tune({ k: 2 });
      expect(report.k).toBe(2);
      expect(report.trainQueries + report.testQueries).toBeGreaterThan(0);
    } finally {
      await service.dispose();
    }
  }, 60_000);
});
