import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTunedConfig, repickOperatingPoint, routeEmbedding, type TunedConfig } from '../../../core/config.js';
import { BuiltinEmbedder } from '../../../core/embed/tfidf.js';
import { UnsatisfiableError } from '../../../core/errors.js';
import { randomMix } from '../../../core/evaluate.js';
import type { EngineReport } from '../../../core/report.js';
import type { RunLog } from '../../../core/runlog.js';
import { evaluateTunedConfig, tune } from '../../../core/tune.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = path.resolve(repoRoot, '../shared/data/zeroeval-gsm8k-crux');

let log: RunLog;
let config: TunedConfig;
let report: EngineReport;

beforeAll(async () => {
  log = await loadRunLog(dataDir);
  ({ config, report } = await tune(log, { seed: 0, now: () => new Date(0) }));
}, 120_000);

describe('tune on zeroeval-gsm8k-crux (seed 0, 60/40 split, USD)', () => {
  it('keeps ≥ 97% of the strongest model\'s accuracy on test at a lower cost', () => {
    expect(report.split).toEqual({ train: 1271, test: 848 });
    expect(report.stage1.retention).toBeGreaterThanOrEqual(0.97);
    expect(report.stage1.cost).toBeLessThan(report.strongest.cost);
    expect(report.stage1.escalationRate).toBe(0);
    // The system is stage 1 alone, or stage 1 plus a cascade; either way it must hold the same line.
    expect(report.system.retention).toBeGreaterThanOrEqual(0.97);
    expect(report.system.cost).toBeLessThan(report.strongest.cost);
  });

  it('never has a frontier point below random routing at the same cost', () => {
    const cheap = report.baselines.single[report.baselines.random.between[0]];
    const strong = report.strongest;
    for (const p of report.frontier) {
      expect(p.accuracy).toBeGreaterThanOrEqual(randomMix(cheap, strong, p.cost).accuracy - 1e-12);
    }
    expect(report.aiq).toBeGreaterThan(report.baselines.random.aiq);
  });

  it('sits between the single models and the per-query oracle, and beats k = 1 on cost at the same criterion', () => {
    expect(report.baselines.oracle.accuracy).toBeGreaterThan(report.stage1.accuracy);
    expect(report.baselines.oracle.cost).toBeLessThan(report.stage1.cost);
    expect(Object.keys(report.baselines.single)).toHaveLength(18);
    expect(report.baselines.k1).not.toBeNull();
    expect(report.stage1.cost).toBeLessThan(report.baselines.k1!.cost);
    expect(report.ci.retention[0]).toBeLessThanOrEqual(report.stage1.retention);
    expect(report.ci.retention[1]).toBeGreaterThanOrEqual(report.stage1.retention);
    expect(report.ci.costReduction[0]).toBeGreaterThan(0);
  });

  it('chooses k by cross-validation and reports both curves', () => {
    expect(config.clustering.selection).toBe('cv');
    expect(config.clustering.cvCurve.map((p) => p.k)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(config.clustering.silhouetteCurve.map((p) => p.k)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const best = Math.max(...config.clustering.cvCurve.map((p) => p.score));
    expect(config.clustering.cvCurve.find((p) => p.k === config.clusters.length)!.score).toBe(best);
  });

  it('writes a small config that parses back and that the JSON round trip does not change', () => {
    const text = JSON.stringify(config);
    expect(text.length).toBeLessThan(2_000_000);
    expect(parseTunedConfig(JSON.parse(text))).toEqual(config);
  });

  it('is deterministic for a seed', async () => {
    const again = await tune(log, { seed: 0, now: () => new Date(0), k: config.clusters.length, cascade: false });
    expect(again.config.clusters).toEqual(config.clusters);
    expect(again.config.regions).toEqual(config.regions);
  }, 120_000);

  it('routes a query from the config alone, as the tune assigned it', () => {
    const embedder = BuiltinEmbedder.fromState(config.embedder.state);
    expect(embedder.id).toBe(config.embedder.id);
    const q = log.queries.find((x) => x.qid === 'gsm8k/0')!;
    const { cluster, model } = routeEmbedding(config, embedder.embedOne(q.prompt));
    expect(config.clusters[cluster].topTask).toBe('gsm8k');
    expect(model).toBe(config.pool[config.regions[config.operatingPoint.region].route[cluster]].model);
  });

  it('re-picks the operating point for a new budget from the stored regions', () => {
    const cheapest = config.regions.at(-1)!.expectedCost;
    expect(repickOperatingPoint(config, { kind: 'budget', budget: 1 })).toBe(0);
    expect(repickOperatingPoint(config, { kind: 'budget', budget: cheapest })).toBe(config.regions.length - 1);
    expect(() => repickOperatingPoint(config, { kind: 'budget', budget: cheapest / 2 })).toThrow(UnsatisfiableError);
    expect(() => repickOperatingPoint(config, { kind: 'budget', budget: cheapest / 2 })).toThrow(/cheapest reachable cost/);
  });

  it('eval reproduces the tune report on the same test split, and uses all queries of a log it was not tuned on', async () => {
    const again = await evaluateTunedConfig(config, log);
    expect(again).toEqual(report);
    const crux = { ...log, queries: log.queries.filter((q) => q.task === 'cruxeval'), responses: log.responses.filter((r) => r.qid.startsWith('cruxeval/')) };
    const other = await evaluateTunedConfig(config, crux);
    expect(other.evaluatedOn).toBe('all-queries');
    expect(other.split).toEqual({ train: 0, test: 800 });
  }, 120_000);
});
