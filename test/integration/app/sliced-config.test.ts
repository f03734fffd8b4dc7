// A config tuned on a slice of the workspace's run log (one task, a smaller pool), imported into
// the app: its figures cover the slice's held-out queries as `eval` does, and stay on them when a
// threshold moved by hand makes the engine evaluate again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TunedConfig } from '../../../core/config.js';
import { sliceRunLog } from '../../../core/runlog-slice.js';
import { tune } from '../../../core/tune.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';
import { AppService } from '../../../server/app/app-service.js';

const DATA = '../shared/data';

describe('a config tuned on a slice, imported into the app', () => {
  let service: AppService;
  let config: TunedConfig;
  let runsDir: string;

  beforeAll(async () => {
    const log = await loadRunLog(join(DATA, 'zeroeval-gsm8k-crux'));
    // At confidence 0 the served region keeps its stage-2 plans, so a QE threshold can be moved.
    ({ config } = await tune(sliceRunLog(log, { tasks: ['gsm8k'], excludeModels: ['o1-mini-2024-09-12'] }), { k: 4, confidence: 0, bootstrapSamples: 50 }));
    runsDir = await mkdtemp(join(tmpdir(), 'cascade-lab-sliced-'));
    service = await AppService.create({ dataDirs: [DATA], simulatedDir: null, initialDataSet: 'shared:zeroeval-gsm8k-crux', runsDir });
  }, 180_000);

  afterAll(async () => {
    await service?.dispose();
    await rm(runsDir, { recursive: true, force: true });
  });

  it('reports on the slice\'s held-out queries, before and after a threshold set by hand', async () => {
    const state = await service.importConfig({ text: JSON.stringify(config) });
    expect(state.tune!.testQueries).toBe(config.split.testQids!.length);
    expect(state.tune!.trainQueries).toBe(config.split.trainQids.length);
    const moved = await service.setQeThreshold({ threshold: 0.5 });
    expect(moved.operatingPoint.manualOverride).toBe(true);
    const after = await service.getState();
    expect(after.tune!.testQueries).toBe(config.split.testQids!.length);
  }, 120_000);
});
