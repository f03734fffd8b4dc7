import type { TunedConfig } from './config.js';
import { CascadeLabError } from './errors.js';
import {
  aiq, bootstrapCi, oracleChoice, randomMix, relativeTo, routedTotals, singleChoice,
  type BootstrapCi, type BootstrapOptions, type CostAccuracy, type LabelledCells, type Metrics,
} from './evaluate.js';
import { lambdaRegions, pickOperatingPoint, type LambdaRegion } from './routing.js';

/** A router's figures on the evaluated queries, with the answered/unanswered counts. */
export interface RouterMetrics extends Metrics {
  answered: number;
  unanswered: number;
}

/** The system's figures: stage 1 alone until a cascade (stage 2) extends the report. */
export interface SystemMetrics extends RouterMetrics {
  /** Share of queries escalated to a second model; 0 for stage 1 alone. */
  escalationRate: number;
}

/** The honest report of `tune` and `eval`: every figure is measured on the evaluated (test) queries. */
export interface EngineReport {
  split: { train: number; test: number };
  /** `test-split`: the queries the config was not tuned on; `all-queries`: a log the config never saw. */
  evaluatedOn: 'test-split' | 'all-queries';
  cost: { metric: string; unit: string };
  /** The strongest model is chosen on train; its accuracy and cost here are on the evaluated queries. */
  strongest: { model: string; accuracy: number; cost: number };
  system: SystemMetrics;
  stage1: SystemMetrics;
  operatingPoint: {
    region: number;
    lambdaFrom: number;
    lambdaTo: number | null;
    criterion: TunedConfig['operatingPoint']['criterion'];
    /** Model per cluster. */
    route: string[];
    /** What the train statistics predicted for this region. */
    expectedAccuracy: number;
    expectedCost: number;
  };
  k: number;
  baselines: {
    /** Random routing between the cheapest and the strongest model, mixed to the system's cost (expected value). */
    random: Metrics & { between: [string, string]; aiq: number };
    oracle: RouterMetrics;
    /** k = 1 (no clustering) at the same criterion; null when the criterion is infeasible without clusters. */
    k1: (RouterMetrics & { model: string }) | null;
    single: Record<string, RouterMetrics>;
  };
  /** RouterBench AIQ of the stage-1 frontier over `aiqRange`. */
  aiq: number;
  /** [cheapest, dearest] single-model cost on the evaluated queries. */
  aiqRange: [number, number];
  /** Every λ region applied to the evaluated queries, in increasing λ. */
  frontier: (CostAccuracy & { lambdaFrom: number })[];
  ci: BootstrapCi;
}

export interface ReportInput {
  config: TunedConfig;
  /** Evaluated queries' cells, columns in config.pool order. */
  test: LabelledCells;
  /** Nearest-centroid cluster of each evaluated query. */
  testLabels: Int32Array;
  trainCount: number;
  bootstrap?: BootstrapOptions;
}

function withCounts(totals: ReturnType<typeof routedTotals>, strongest: CostAccuracy): RouterMetrics {
  return { ...relativeTo(totals, strongest), answered: totals.answered, unanswered: totals.unanswered };
}

/** The k = 1 routing: the pool's global train figures as one cluster, at the config's criterion. */
export function k1Regions(config: TunedConfig): LambdaRegion[] {
  return lambdaRegions({
    errorRate: [config.pool.map((p) => 1 - p.accuracy)],
    cost: [config.pool.map((p) => p.meanCost)],
    weight: [1],
    costScale: config.cost.scale,
  });
}

/** Builds the stage-1 report; a cascade replaces `system` later with withSystem(). */
export function buildReport(input: ReportInput): EngineReport {
  const { config, test, testLabels } = input;
  const Q = testLabels.length;
  const names = config.pool.map((p) => p.model);
  const strongestIndex = names.indexOf(config.strongest.model);
  const strongestTotals = routedTotals(test, singleChoice(Q, strongestIndex));
  const ref: CostAccuracy = strongestTotals;
  const region = config.regions[config.operatingPoint.region];
  const stage1Choice = Int32Array.from(testLabels, (c) => region.route[c]);
  const stage1Totals = routedTotals(test, stage1Choice);
  const stage1: SystemMetrics = { ...withCounts(stage1Totals, ref), escalationRate: 0 };

  const single: Record<string, RouterMetrics> = {};
  const singlePoints: CostAccuracy[] = [];
  names.forEach((name, m) => {
    const t = routedTotals(test, singleChoice(Q, m));
    single[name] = withCounts(t, ref);
    if (t.answered > 0) singlePoints.push(t);
  });
  const costs = singlePoints.map((p) => p.cost);
  const aiqRange: [number, number] = [Math.min(...costs), Math.max(...costs)];

  const cheapIndex = config.pool.reduce((best, p, m) => (p.meanCost < config.pool[best].meanCost ? m : best), 0);
  const cheapPoint = routedTotals(test, singleChoice(Q, cheapIndex));
  const randomPoint = randomMix(cheapPoint, strongestTotals, stage1Totals.cost);
  const randomAiq = aiq([cheapPoint, strongestTotals], aiqRange[0], aiqRange[1]);

  let k1: EngineReport['baselines']['k1'] = null;
  try {
    const regions = k1Regions(config);
    const r = pickOperatingPoint(regions, config.operatingPoint.criterion, config.strongest.accuracy, config.cost.unit);
    const m = regions[r].route[0];
    k1 = { ...withCounts(routedTotals(test, singleChoice(Q, m)), ref), model: names[m] };
  } catch (err) {
    if (!(err instanceof CascadeLabError)) throw err;
  }

  const frontier = config.regions.map((r) => ({ lambdaFrom: r.lambdaFrom, ...pickPoint(routedTotals(test, Int32Array.from(testLabels, (c) => r.route[c]))) }));
  return {
    split: { train: input.trainCount, test: Q },
    evaluatedOn: 'test-split',
    cost: { metric: config.cost.metric, unit: config.cost.unit },
    strongest: { model: config.strongest.model, accuracy: strongestTotals.accuracy, cost: strongestTotals.cost },
    system: { ...stage1 },
    stage1,
    operatingPoint: {
      region: config.operatingPoint.region,
      lambdaFrom: region.lambdaFrom,
      lambdaTo: region.lambdaTo,
      criterion: config.operatingPoint.criterion,
      route: region.route.map((m) => names[m]),
      expectedAccuracy: region.expectedAccuracy,
      expectedCost: region.expectedCost,
    },
    k: config.clusters.length,
    baselines: {
      random: { ...relativeTo(randomPoint, ref), between: [names[cheapIndex], config.strongest.model], aiq: randomAiq },
      oracle: withCounts(routedTotals(test, oracleChoice(test)), ref),
      k1,
      single,
    },
    aiq: aiq(frontier, aiqRange[0], aiqRange[1]),
    aiqRange,
    frontier,
    ci: bootstrapCi(test, stage1Choice, strongestIndex, input.bootstrap),
  };
}

function pickPoint(p: CostAccuracy): CostAccuracy {
  return { cost: p.cost, accuracy: p.accuracy };
}

/** The report with a new system (a cascade's), its retention and cost reduction against the same strongest model. */
export function withSystem(report: EngineReport, system: RouterMetrics | (CostAccuracy & { answered: number; unanswered: number }), escalationRate: number): EngineReport {
  return { ...report, system: { ...withCounts(system, report.strongest), escalationRate } };
}
