import { beforeAll, describe, expect, it } from 'vitest';
import { CascadeConfigSchema } from '../../../core/cascade/plan.js';
import { tuneStage2, formatCascadeReport, type CascadeReport } from '../../../core/cascade/stage2.js';
import type { CascadeConfig } from '../../../core/cascade/plan.js';
import { costMatrix } from '../../../core/cost.js';
import { splitQueries } from '../../../core/split.js';
import { tune } from '../../../core/tune.js';
import { buildWorkload } from '../../../core/workload.js';
import { loadSharedFormat } from '../../../native-models/runlog/shared-format.js';

// The hard targets of stage 2 on the real recorded runs, measured on the test split (seed 0, 60/40),
// USD cost, target retention 0.99, clusters = the two tasks.
const DATA = '../shared/data/zeroeval-gsm8k-crux';
let report: CascadeReport;
let cascade: CascadeConfig;

beforeAll(async () => {
  const log = await loadSharedFormat(DATA);
  const w = buildWorkload(log);
  const cost = costMatrix(w, 'usd', { prices: log.prices });
  const { train, test } = splitQueries(w.qids, w.tasks, { seed: 0 });
  const clusterOf = Int32Array.from(w.tasks, (t) => (t === 'gsm8k' ? 0 : 1));
  ({ report, cascade } = tuneStage2({
    w, train, test, clusterOf, k: 2, cost, metric: 'usd', strongest: 'o1-mini-2024-09-12',
    criterion: { kind: 'targetRetention', targetRetention: 0.99 },
  }));
}, 180_000);

describe('stage 2 on the shared data at target retention 0.99 (test split)', () => {
  it('keeps retention ≥ 0.98', () => {
    expect(report.system.retention).toBeGreaterThanOrEqual(0.98);
  });

  it('costs at most half of the strongest model', () => {
    expect(report.system.costRatio).toBeLessThanOrEqual(0.5);
  });

  it('costs less than stage 1 alone, and about half at stage 1’s own accuracy', () => {
    expect(report.system.cost).toBeLessThan(report.stage1Only.cost);
    expect(report.atStage1Accuracy.accuracy).toBeGreaterThanOrEqual(report.stage1Only.accuracy - 0.005);
    expect(report.atStage1Accuracy.cost).toBeLessThan(0.7 * report.stage1Only.cost);
  });

  it('beats the FrugalGPT-style baseline on cost at the same target', () => {
    expect(report.system.cost).toBeLessThan(report.frugal.cost);
  });

  it('reports QE AUROC and ECE, and a plan per cluster', () => {
    expect(report.qe.auroc).toBeGreaterThan(0.75);
    expect(report.qe.ece).toBeLessThan(0.05);
    expect(report.plan).toHaveLength(2);
    expect(report.escalationRate).toBeGreaterThan(0);
    expect(report.escalationRate).toBeLessThan(0.6);
    expect(formatCascadeReport(report, 'USD')).toMatch(/cluster 1 \(\d+ queries\)/);
  });

  it('writes a config section that parses back', () => {
    expect(CascadeConfigSchema.parse(JSON.parse(JSON.stringify(cascade)))).toEqual(JSON.parse(JSON.stringify(cascade)));
  });
});

describe('the full tune pipeline (embedder, k by cross-validation, stage 1 + 2) at target retention 0.99', () => {
  it('meets the hard targets on the test split and reports stage 2', async () => {
    const { config, report: r } = await tune(await loadSharedFormat(DATA), { seed: 0, criterion: { kind: 'targetRetention', targetRetention: 0.99 } });
    expect(config.cascade?.plans).toHaveLength(config.clusters.length);
    expect(r.system.retention).toBeGreaterThanOrEqual(0.98);
    expect(r.system.cost / r.strongest.cost).toBeLessThanOrEqual(0.5);
    expect(r.system.cost).toBeLessThan(r.stage1.cost);
    expect(r.qe?.auroc).toBeGreaterThan(0.75);
    expect(r.qe?.ece).toBeLessThan(0.05);
    expect(r.plan?.map((p) => p.cluster)).toEqual(config.clusters.map((_, i) => i));
    expect(r.frugal?.plan.models.length).toBeGreaterThanOrEqual(1);
  }, 400_000);
});
