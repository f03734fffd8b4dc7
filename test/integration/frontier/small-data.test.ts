import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tune } from '../../../core/tune.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';

// A run log too small for stage 2 is a normal case: it tunes stage 1 alone and says why, and k auto
// keeps to the k values the data can fit.
describe('tuning a small run log', () => {
  it('tunes stage 1 alone, says why, and skips k values it cannot fit', async () => {
    const log = await loadRunLog(path.resolve('fixtures/simulated'));
    const keep = new Set(log.queries.slice(0, 14).map((q) => q.qid));
    const small = { ...log, queries: log.queries.filter((q) => keep.has(q.qid)), responses: log.responses.filter((r) => keep.has(r.qid)) };
    const { config, report } = await tune(small, { seed: 0, bootstrapSamples: 10 });
    expect(config.stage2Skipped).toMatch(/training queries are too few for stage 2 \(it needs 50 for 5-fold cross-fitting\)/);
    expect(report.stage2Skipped).toBe(config.stage2Skipped);
    expect(config.cascade).toBeNull();
    expect(config.regions.every((r) => r.plans.every((p) => p.action === 'answer'))).toBe(true);
    // 8 train queries, 3 CV folds: each fold fits on 5 or 6, so k stops there instead of failing.
    const ks = config.clustering.cvCurve.map((p) => p.k);
    expect(ks.length).toBeGreaterThan(0);
    expect(Math.max(...ks)).toBeLessThanOrEqual(5);
    expect(config.clusters.length).toBeLessThanOrEqual(5);
  }, 120_000);
});
