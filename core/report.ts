import type { AnswerKind } from './extract.js';
import type { Region, TunedConfig } from './config.js';
import { CascadeLabError, InvalidInputError } from './errors.js';
import {
  aiq, bootstrapCi, oracleChoice, randomMix, relativeTo, routedTotals, singleChoice,
  type BootstrapCi, type BootstrapOptions, type CostAccuracy, type LabelledCells, type Metrics,
} from './evaluate.js';
import { describePlan, type CascadeConfig, type ClusterPlan } from './cascade/plan.js';
import { compositionOf, simulatePlans, type QueryOutcome } from './cascade/simulate.js';
import { concaveHull } from './frontier/hull.js';
import { pickOnHull, pickOperatingPoint, type Certificate, type OperatingCriterion } from './frontier/operating-point.js';
import { labelledAnswers, qeScorer } from './qe/dataset.js';
import { auroc, ece } from './qe/metrics.js';
import { LearnedQe } from './qe/model.js';
import { cellIndex, type Workload } from './workload.js';

/** A router's figures on the evaluated queries, with the answered/unanswered counts. */
export interface RouterMetrics extends Metrics {
  answered: number;
  unanswered: number;
}

/** A system's figures: every pass paid. */
export interface SystemMetrics extends RouterMetrics {
  /** Share of queries escalated at least once. */
  escalationRate: number;
}

/** One cluster's plan as the report lists it. */
export interface PlanRow {
  cluster: number;
  action: ClusterPlan['action'];
  /** The model whose answer is tried first (answer: the only model). */
  model: string;
  /** Every model the plan may call, in order. */
  models: string[];
  /** The plan in words. */
  text: string;
}

/** A region as the report states it: where it lies, its plans and what cross-fitting and the certificate said. */
export interface ReportedRegion {
  region: number;
  kind: Region['kind'];
  lambdaFrom: number;
  lambdaTo: number | null;
  criterion: OperatingCriterion;
  confidence: number;
  plans: PlanRow[];
  /** Out-of-sample (cross-fitted) figures over the train queries. */
  expected: Region['expected'];
  certified: Certificate | null;
  note: string | null;
  /** Clusters where a stage-2 plan was set back to a single model (its gain was not supported). */
  guarded: number[];
}

/** One cluster's system plan against stage 1 alone's, on the evaluated queries. */
export interface ClusterComparison {
  cluster: number;
  n: number;
  plan: PlanRow;
  stage1Plan: PlanRow;
  system: { accuracy: number; cost: number; escalationRate: number };
  stage1: { accuracy: number; cost: number };
  /** Stage 2 saved cost without losing accuracy, or gained accuracy without extra cost. */
  helped: boolean;
}

/** The honest report of `tune` and `eval`: every figure here is measured on the evaluated (test) queries unless it says `expected`. */
export interface EngineReport {
  split: { train: number; test: number };
  /** `test-split`: the queries the config was not tuned on; `all-queries`: a log the config never saw. */
  evaluatedOn: 'test-split' | 'all-queries';
  cost: { metric: string; unit: string };
  /** The strongest model is chosen on train; its accuracy and cost here are on the evaluated queries. */
  strongest: { model: string; accuracy: number; cost: number };
  /** The served system: the operating region's plans. */
  system: SystemMetrics;
  /** Stage 1 alone: the single-model frontier at the same criterion and confidence. */
  stage1: SystemMetrics;
  operatingPoint: ReportedRegion;
  stage1OperatingPoint: ReportedRegion;
  k: number;
  baselines: {
    /** Random routing between the cheapest and the strongest model, mixed to the system's cost (expected value). */
    random: Metrics & { between: [string, string]; aiq: number };
    oracle: RouterMetrics;
    /** k = 1 (no clustering, one model) at the same criterion on train point estimates. */
    k1: (RouterMetrics & { model: string }) | null;
    single: Record<string, RouterMetrics>;
    /** The FrugalGPT-style cascade over the same pool and scorer; null without stage 2. */
    frugal: (SystemMetrics & { plan: string }) | null;
  };
  /** RouterBench AIQ of the frontier over `aiqRange`. */
  aiq: number;
  /** [cheapest, dearest] single-model cost on the evaluated queries. */
  aiqRange: [number, number];
  /** Every region applied to the evaluated queries, in the config's order, next to its cross-fitted expectation. */
  frontier: { region: number; kind: Region['kind']; lambdaFrom: number; cost: number; accuracy: number; escalationRate: number; expected: { accuracy: number; cost: number } }[];
  /** Bootstrap intervals of the system's retention and cost reduction. */
  ci: BootstrapCi;
  /** The QE on the evaluated answers, and on train out of fold; null without stage 2. */
  qe: { auroc: number; ece: number; answers: number; heldOut: CascadeConfig['qeQuality']; model: string } | null;
  perCluster: ClusterComparison[];
  stage2Skipped: string | null;
}

export interface ReportInput {
  config: TunedConfig;
  w: Workload;
  /** Cost of every workload cell in the config's metric. */
  cost: Float64Array;
  /** Evaluated workload rows. */
  rows: ArrayLike<number>;
  /** Cluster of every evaluated row (nearest centroid). */
  clusterOf: ArrayLike<number>;
  trainCount: number;
  evaluatedOn: EngineReport['evaluatedOn'];
  bootstrap?: BootstrapOptions;
}

/** One cluster's plan as a report row. */
export function planRow(plan: ClusterPlan, cluster: number): PlanRow {
  const models = plan.action === 'answer' ? [plan.model] : plan.action === 'cascade' ? [...plan.rungs] : [plan.model, plan.partner, plan.escalateTo];
  return { cluster, action: plan.action, model: models[0], models, text: describePlan(plan) };
}

function reported(regions: readonly Region[], choice: { region: number; certified: Certificate | null; note: string | null }, criterion: OperatingCriterion, confidence: number): ReportedRegion {
  const r = regions[choice.region];
  return {
    region: choice.region, kind: r.kind, lambdaFrom: r.lambdaFrom, lambdaTo: r.lambdaTo, criterion, confidence,
    plans: r.plans.map(planRow), expected: r.expected, certified: choice.certified, note: choice.note, guarded: r.guarded,
  };
}

/** Stage 1 alone's operating point: the single-model frontier at the config's criterion (the system's own when that is stage 1). */
export function stage1Choice(config: TunedConfig): { regions: Region[]; choice: ReturnType<typeof pickOperatingPoint> } {
  const op = config.operatingPoint;
  if (!config.stage1Regions) return { regions: config.regions, choice: { region: op.region, certified: op.certified, note: op.note } };
  try {
    return { regions: config.stage1Regions, choice: pickOperatingPoint(config.stage1Regions, op.criterion, op.confidence, config.cost.unit) };
  } catch (err) {
    if (!(err instanceof CascadeLabError)) throw err;
    const reference = config.stage1Regions.findIndex((r) => r.kind === 'reference');
    return { regions: config.stage1Regions, choice: { region: reference, certified: null, note: err.message } };
  }
}

function metricsOf(outcomes: readonly QueryOutcome[], strongest: CostAccuracy): SystemMetrics {
  let n = 0;
  let right = 0;
  let spend = 0;
  let escalated = 0;
  for (const o of outcomes) {
    if (o.correct === -1) continue;
    n++;
    right += o.correct;
    spend += o.cost;
    if (o.escalations > 0) escalated++;
  }
  const point = { accuracy: n ? right / n : 0, cost: n ? spend / n : 0 };
  return { ...relativeTo(point, strongest), answered: n, unanswered: outcomes.length - n, escalationRate: n ? escalated / n : 0 };
}

/** Every figure of the report, simulated on the evaluated queries with the same decisions serving makes. */
export function buildReport(input: ReportInput): EngineReport {
  const { config, w, rows, clusterOf } = input;
  const names = config.pool.map((p) => p.model);
  const column = names.map((m) => {
    const i = w.models.indexOf(m);
    if (i < 0) throw new InvalidInputError(`the config's pool model "${m}" has no responses in this run log (it has ${w.models.join(', ')})`, 'run log');
    return i;
  });
  const K = config.clusters.length;
  const qe = config.cascade ? new LearnedQe(config.cascade.qe) : null;
  const score = qe ? qeScorer(qe, w, clusterOf) : () => Number.NaN;
  const answerKinds: readonly AnswerKind[] = config.cascade?.answerKinds ?? Array.from({ length: K }, () => 'text' as const);
  const caps = config.cascade?.caps ?? { maxEscalations: 0, maxTotalTokens: null };
  const sim = { w, rows, clusterOf, cost: input.cost, composition: compositionOf(config.cost.metric), score, answerKinds };
  const run = (plans: readonly ClusterPlan[]) => simulatePlans(plans, caps, sim).outcomes;
  const strongPlans: ClusterPlan[] = Array.from({ length: K }, () => ({ action: 'answer', model: config.strongest.model }));
  const strongOutcomes = run(strongPlans);
  const strongest = metricsOf(strongOutcomes, { accuracy: 1, cost: 1 });
  const ref: CostAccuracy = { accuracy: strongest.accuracy, cost: strongest.cost };

  const op = config.operatingPoint;
  const systemOutcomes = run(config.regions[op.region].plans);
  const system = metricsOf(systemOutcomes, ref);
  const s1 = stage1Choice(config);
  const stage1Plans = s1.regions[s1.choice.region].plans;
  const stage1 = metricsOf(run(stage1Plans), ref);

  const cells: LabelledCells = { correct: new Int8Array(rows.length * names.length), cost: new Float64Array(rows.length * names.length), models: names.length };
  for (let i = 0; i < rows.length; i++) {
    for (let p = 0; p < names.length; p++) {
      cells.correct[i * names.length + p] = w.correct[cellIndex(w, rows[i], column[p])];
      cells.cost[i * names.length + p] = input.cost[cellIndex(w, rows[i], column[p])];
    }
  }
  const withCounts = (t: ReturnType<typeof routedTotals>): RouterMetrics => ({ ...relativeTo(t, ref), answered: t.answered, unanswered: t.unanswered });
  const single: Record<string, RouterMetrics> = {};
  const singlePoints: CostAccuracy[] = [];
  names.forEach((name, p) => {
    const t = routedTotals(cells, singleChoice(rows.length, p));
    single[name] = withCounts(t);
    if (t.answered > 0) singlePoints.push(t);
  });
  const costs = singlePoints.map((p) => p.cost);
  const aiqRange: [number, number] = [Math.min(...costs), Math.max(...costs)];
  const cheapIndex = config.pool.reduce((best, p, m) => (p.meanCost < config.pool[best].meanCost ? m : best), 0);
  const cheapPoint = routedTotals(cells, singleChoice(rows.length, cheapIndex));
  const randomPoint = randomMix(cheapPoint, ref, system.cost);

  const k1Hull = concaveHull(config.pool.map((p, m) => ({ m, accuracy: p.accuracy, cost: p.meanCost, escalationRate: 0 })));
  const k1Model = k1Hull.length ? pickOnHull(k1Hull, op.criterion, config.strongest.accuracy, config.cost.scale).m : -1;
  const k1 = k1Model >= 0 ? { ...withCounts(routedTotals(cells, singleChoice(rows.length, k1Model))), model: names[k1Model] } : null;

  const frugal = config.cascade ? { ...metricsOf(run(Array.from({ length: K }, () => config.cascade!.frugal)), ref), plan: describePlan(config.cascade.frugal) } : null;

  const frontier = config.regions.map((r, i) => {
    const m = i === op.region ? system : metricsOf(run(r.plans), ref);
    return { region: i, kind: r.kind, lambdaFrom: r.lambdaFrom, cost: m.cost, accuracy: m.accuracy, escalationRate: m.escalationRate, expected: { accuracy: r.expected.accuracy, cost: r.expected.cost } };
  });

  let qeReport: EngineReport['qe'] = null;
  if (qe && config.cascade) {
    // The QE reads only the answers of the models it was trained on: a workload may hold others.
    const known = new Set(config.cascade.qe.spec.models);
    const answers = labelledAnswers(w, rows, clusterOf).filter((a) => known.has(a.input.model));
    const scores = answers.map((a) => qe.score(a.input));
    const labels = answers.map((a) => a.correct);
    const c = config.cascade.qe;
    qeReport = {
      auroc: auroc(scores, labels),
      ece: ece(scores, labels),
      answers: answers.length,
      heldOut: config.cascade.qeQuality,
      model: `logistic regression (L2 ${c.l2}, 2^${c.spec.hashBits} hashed n-grams + model/cluster + length/format), ${c.calibrator.kind} calibration, scores cross-fitted in ${config.crossFit.folds} folds`,
    };
  }

  const perCluster: ClusterComparison[] = [];
  for (let c = 0; c < K; c++) {
    const own: number[] = [];
    for (let i = 0; i < rows.length; i++) if (clusterOf[rows[i]] === c) own.push(rows[i]);
    const sys = simulatePlans(config.regions[op.region].plans, caps, { ...sim, rows: own });
    const one = simulatePlans(stage1Plans, caps, { ...sim, rows: own });
    perCluster.push({
      cluster: c,
      n: sys.n,
      plan: planRow(config.regions[op.region].plans[c], c),
      stage1Plan: planRow(stage1Plans[c], c),
      system: { accuracy: sys.accuracy, cost: sys.cost, escalationRate: sys.escalationRate },
      stage1: { accuracy: one.accuracy, cost: one.cost },
      helped: (sys.cost < one.cost && sys.accuracy >= one.accuracy - 1e-12) || (sys.accuracy > one.accuracy && sys.cost <= one.cost),
    });
  }

  const outcomesOf = (o: readonly QueryOutcome[]) => ({ correct: o.map((x) => x.correct), cost: o.map((x) => x.cost) });
  return {
    split: { train: input.trainCount, test: rows.length },
    evaluatedOn: input.evaluatedOn,
    cost: { metric: config.cost.metric, unit: config.cost.unit },
    strongest: { model: config.strongest.model, accuracy: strongest.accuracy, cost: strongest.cost },
    system,
    stage1,
    operatingPoint: reported(config.regions, op, op.criterion, op.confidence),
    stage1OperatingPoint: reported(s1.regions, s1.choice, op.criterion, op.confidence),
    k: K,
    baselines: {
      random: { ...relativeTo(randomPoint, ref), between: [names[cheapIndex], config.strongest.model], aiq: aiq([cheapPoint, ref], aiqRange[0], aiqRange[1]) },
      oracle: withCounts(routedTotals(cells, oracleChoice(cells))),
      k1,
      single,
      frugal,
    },
    aiq: aiq(frontier, aiqRange[0], aiqRange[1]),
    aiqRange,
    frontier,
    ci: bootstrapCi(outcomesOf(systemOutcomes), outcomesOf(strongOutcomes), input.bootstrap),
    qe: qeReport,
    perCluster,
    stage2Skipped: config.stage2Skipped,
  };
}
