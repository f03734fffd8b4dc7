import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTunedConfig, repickOperatingPoint, routeEmbedding, withOperatingPoint, type TunedConfig } from '../../../core/config.js';
import { BuiltinEmbedder } from '../../../core/embed/tfidf.js';
import { UnsatisfiableError } from '../../../core/errors.js';
import { randomMix } from '../../../core/evaluate.js';
import type { EngineReport } from '../../../core/report.js';
import type { RunLog } from '../../../core/runlog.js';
import { evaluateTunedConfig, tune } from '../../../core/tune.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';
import { sliceRunLog } from '../../../core/runlog-slice.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = path.resolve(repoRoot, '../shared/data/zeroeval-gsm8k-crux');

let log: RunLog;
let config: TunedConfig;
let report: EngineReport;

beforeAll(async () => {
  log = await loadRunLog(dataDir);
  ({ config, report } = await tune(log, { seed: 0, now: () => new Date(0) }));
}, 300_000);

describe('tune on zeroeval-gsm8k-crux (seed 0, 60/40 split, USD)', () => {
  it('serves a region of one frontier: reference first, then increasing λ, one plan per cluster', () => {
    expect(report.split).toEqual({ train: 1271, test: 848 });
    expect(config.version).toBe(2);
    expect(config.regions[0].kind).toBe('reference');
    expect(config.regions[0].plans.every((p) => p.action === 'answer' && p.model === config.strongest.model)).toBe(true);
    const frontier = config.regions.slice(1);
    expect(frontier.every((r) => r.kind === 'frontier' && r.plans.length === config.clusters.length)).toBe(true);
    for (let i = 1; i < frontier.length; i++) expect(frontier[i].lambdaFrom).toBeGreaterThan(frontier[i - 1].lambdaFrom);
    expect(frontier.some((r) => r.plans.some((p) => p.action !== 'answer'))).toBe(true);
    expect(config.stage1Regions!.every((r) => r.plans.every((p) => p.action === 'answer'))).toBe(true);
  });

  it('keeps its certificate: a certified point is at least the target and at most its own estimate; otherwise the strongest model, said plainly', () => {
    const op = config.operatingPoint;
    expect(op.confidence).toBe(0.9);
    expect(op.certified).not.toBeNull();
    if (config.regions[op.region].kind === 'reference') {
      expect(op.note).toMatch(/serving the strongest model/);
      expect(report.system.costReduction).toBe(0);
    } else {
      expect(op.certified!.retentionLower).toBeGreaterThanOrEqual(0.99);
      expect(op.certified!.retentionLower).toBeLessThanOrEqual(config.regions[op.region].expected.retention);
      expect(op.note).toBeNull();
    }
    // Whatever was served keeps the target's neighbourhood on queries the tune never saw.
    expect(report.system.retention).toBeGreaterThanOrEqual(0.97);
  });

  it('estimates every region out of sample: expectations track the test split, and bounds sit below them', () => {
    let gap = 0;
    for (const [i, r] of config.regions.entries()) {
      expect(r.expected.n).toBe(1271);
      expect(r.expected.retentionLower!).toBeLessThanOrEqual(r.expected.retention + 1e-9);
      gap = Math.max(gap, Math.abs(r.expected.accuracy - report.frontier[i].accuracy));
    }
    expect(gap).toBeLessThan(0.05);
  });

  it('never has a frontier point far below random routing at the same cost, and beats it on AIQ', () => {
    const cheap = report.baselines.single[report.baselines.random.between[0]];
    const strong = report.strongest;
    for (const p of report.frontier) expect(p.accuracy).toBeGreaterThanOrEqual(randomMix(cheap, strong, p.cost).accuracy - 0.02);
    expect(report.aiq).toBeGreaterThan(report.baselines.random.aiq);
  });

  it('reports every baseline on the same queries', () => {
    expect(report.baselines.oracle.accuracy).toBeGreaterThan(report.system.accuracy);
    expect(report.baselines.oracle.cost).toBeLessThan(report.strongest.cost);
    expect(Object.keys(report.baselines.single)).toHaveLength(18);
    expect(report.baselines.k1).not.toBeNull();
    expect(report.baselines.frugal).not.toBeNull();
    expect(report.ci.retention[0]).toBeLessThanOrEqual(report.system.retention);
    expect(report.ci.retention[1]).toBeGreaterThanOrEqual(report.system.retention);
    expect(report.qe!.auroc).toBeGreaterThan(0.78);
    expect(report.qe!.heldOut.answers).toBeGreaterThan(20_000);
  });

  it('chooses k by cross-validation and reports both curves', () => {
    expect(config.clustering.selection).toBe('cv');
    expect(config.clustering.cvCurve.map((p) => p.k)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(config.clustering.silhouetteCurve.map((p) => p.k)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const best = Math.max(...config.clustering.cvCurve.map((p) => p.score));
    expect(config.clustering.cvCurve.find((p) => p.k === config.clusters.length)!.score).toBe(best);
  });

  it('writes a config that parses back and that the JSON round trip does not change', () => {
    const text = JSON.stringify(config);
    expect(text.length).toBeLessThan(2_000_000);
    expect(parseTunedConfig(JSON.parse(text))).toEqual(config);
    expect(() => parseTunedConfig({ ...JSON.parse(text), version: 1 })).toThrow(/version 1 is not supported.*re-run `cascade-lab tune`/);
  });

  it('stage 1 alone is the same frontier restricted to single models, and is deterministic for a seed', async () => {
    const one = await tune(log, { seed: 0, now: () => new Date(0), k: config.clusters.length, cascade: false });
    const again = await tune(log, { seed: 0, now: () => new Date(0), k: config.clusters.length, cascade: false });
    expect(one.config.cascade).toBeNull();
    expect(one.config.stage1Regions).toBeNull();
    expect(one.config.regions.every((r) => r.plans.every((p) => p.action === 'answer'))).toBe(true);
    expect(one.config.regions.map((r) => r.plans)).toEqual(config.stage1Regions!.map((r) => r.plans));
    expect(again.config.regions).toEqual(one.config.regions);
  }, 300_000);

  it('routes a query from the config alone to its cluster\'s plan in the served region', () => {
    const embedder = BuiltinEmbedder.fromState(config.embedder.state);
    expect(embedder.id).toBe(config.embedder.id);
    const q = log.queries.find((x) => x.qid === 'gsm8k/0')!;
    const { cluster, plan } = routeEmbedding(config, embedder.embedOne(q.prompt));
    expect(config.clusters[cluster].topTask).toBe('gsm8k');
    expect(plan).toEqual(config.regions[config.operatingPoint.region].plans[cluster]);
  });

  it('re-picks the operating point from the stored regions, certified or not', () => {
    const frontier = config.regions.map((r, i) => ({ r, i })).filter((x) => x.r.kind === 'frontier');
    const cheapest = frontier.reduce((a, b) => (b.r.expected.cost < a.r.expected.cost ? b : a));
    const mostAccurate = Math.max(...frontier.map((x) => x.r.expected.accuracy));
    expect(config.regions[repickOperatingPoint(config, { kind: 'budget', budget: 1 }).region].expected.accuracy).toBe(mostAccurate);
    const fits = repickOperatingPoint(config, { kind: 'budget', budget: cheapest.r.expected.cost }, 0);
    expect(config.regions[fits.region].expected.cost).toBeLessThanOrEqual(cheapest.r.expected.cost);
    expect(config.regions[fits.region].expected.accuracy).toBeGreaterThanOrEqual(cheapest.r.expected.accuracy);
    expect(fits.certified).toBeNull();
    // At confidence 0.9 the same budget no longer fits: the certificate bounds the cost from above.
    expect(() => repickOperatingPoint(config, { kind: 'budget', budget: cheapest.r.expected.cost })).toThrow(UnsatisfiableError);
    const point = repickOperatingPoint(config, { kind: 'targetRetention', targetRetention: 0.95 }, 0);
    const cheapestMeeting = frontier.filter((x) => x.r.expected.retention >= 0.95).reduce((a, b) => (b.r.expected.cost < a.r.expected.cost ? b : a));
    expect(point.region).toBe(cheapestMeeting.i);
    const moved = withOperatingPoint(config, { kind: 'lambda', lambda: frontier[3].r.lambdaFrom });
    expect(moved.operatingPoint.region).toBe(frontier[3].i);
    expect(moved.operatingPoint.certified!.retentionLower).toBe(frontier[3].r.expected.retentionLower);
  });

  it('eval reproduces the tune report on the same test split, and uses all queries of a log it was not tuned on', async () => {
    const again = await evaluateTunedConfig(config, log);
    expect(again).toEqual(report);
    const crux = { ...log, queries: log.queries.filter((q) => q.task === 'cruxeval'), responses: log.responses.filter((r) => r.qid.startsWith('cruxeval/')) };
    const other = await evaluateTunedConfig(config, crux);
    expect(other.evaluatedOn).toBe('all-queries');
    expect(other.split).toEqual({ train: 0, test: 800 });
  }, 120_000);

  it('eval of a config tuned on a slice reproduces its report on the whole log: only the slice\'s test queries, only its pool', async () => {
    const slice = sliceRunLog(log, { tasks: ['gsm8k'], excludeModels: ['o1-mini-2024-09-12'] });
    const tuned = await tune(slice, { k: 2, bootstrapSamples: 50 });
    const whole = await evaluateTunedConfig(tuned.config, log, { bootstrapSamples: 50 });
    expect(whole.evaluatedOn).toBe('test-split');
    expect(whole.split).toEqual(tuned.report.split);
    expect(whole.system).toEqual(tuned.report.system);
    expect(whole).toEqual(tuned.report);
  }, 120_000);
});
