import { createHash } from 'node:crypto';
import type {
  BudgetView, CandidateView, ClusterMap, EvaluationRow, OperatingPoint, QeView, RoutingTable, TraceDetail, TraceFilter, TracePage, TraceRow, TuneReport,
} from '../../core/app-api.js';
import { explainQuery } from '../../core/cascade/explain.js';
import { describePlan, firstQeThreshold, planModels, type ClusterPlan } from '../../core/cascade/plan.js';
import { compositionOf } from '../../core/cascade/simulate.js';
import type { ClusterCandidates } from '../../core/frontier/build.js';
import type { ProjectionAxis } from '../../core/lda-projection.js';
import type { TunedConfig } from '../../core/config.js';
import { costBound } from '../../core/frontier/operating-point.js';
import type { AnswerKind } from '../../core/extract.js';
import { auroc, ece, reliabilityBins } from '../../core/qe/metrics.js';
import { buildReport, type EngineReport } from '../../core/report.js';
import type { Workload } from '../../core/workload.js';

/** What one tune leaves behind for the views: the engine's output plus per-query labels. */
export interface TunedState {
  config: TunedConfig;
  report: EngineReport;
  kMode: 'auto' | 'fixed';
  /** How long the tune took when it ran. */
  durationMs: number;
  /** Read back from the tune cache rather than computed for this workspace. */
  fromCache: boolean;
  simulated: boolean;
  /** The workspace's label. */
  dataSet: string;
  /** Per cluster, the plans the tune compared; null for an imported config. */
  candidates: ClusterCandidates[] | null;
  /** The workload the config was tuned on. */
  w: Workload;
  /** Cost of every workload cell in the config's metric (NaN where unknown). */
  cost: Float64Array;
  /** Nearest-centroid cluster of every workload row. */
  clusterOf: Int32Array;
  /** Workload rows of the test split, in workload order. */
  testRows: number[];
  isTest: Uint8Array;
  /** Workload index of each config pool entry. */
  poolToWorkload: number[];
  /** Calibrated QE score of an answered cell, when the config has a cascade (stage 2). */
  score: ((q: number, m: number) => number) | null;
  /** The current operating point: its region, and the λ or budget the user set. */
  region: number;
  /** True once a QE threshold was edited by hand: the region's plans differ from the tuned ones. */
  manualOverride: boolean;
  lambda: number;
  budget: number | null;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
const TEXT_PREVIEW = 280;

function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/** Test-split figures of region `i`, every pass paid. */
export function regionFigures(t: TunedState, i: number) {
  const p = t.report.frontier[i];
  const s = t.report.strongest;
  const costRatio = ratio(p.cost, s.cost);
  return {
    accuracy: p.accuracy,
    costPerQuery: p.cost,
    retention: ratio(p.accuracy, s.accuracy),
    costReduction: costRatio === null ? null : 1 - costRatio,
    escalationRate: p.escalationRate,
  };
}

/** The model each cluster's plan tries first in a region. */
function firstModels(t: TunedState, region: number): string[] {
  return t.config.regions[region].plans.map((p) => planModels(p)[0]);
}

/** A region's cross-fitted figures on train and its certified retention bound. */
function expectedOf(t: TunedState, region: number) {
  const e = t.config.regions[region].expected;
  return {
    accuracy: e.accuracy, costPerQuery: e.cost, retention: e.retention, escalationRate: e.escalationRate, retentionLower: e.retentionLower,
    costBound: costBound(e, t.config.operatingPoint.confidence),
  };
}

const configIds = new WeakMap<TunedConfig, string>();
/** A short hash of the config as `exportConfig` writes it. */
export function configId(config: TunedConfig): string {
  let id = configIds.get(config);
  if (!id) configIds.set(config, (id = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12)));
  return id;
}

export function operatingPoint(t: TunedState): OperatingPoint {
  const op = t.config.operatingPoint;
  const region = t.config.regions[t.region];
  return {
    lambda: t.lambda, budget: t.budget, ...regionFigures(t, t.region), routing: firstModels(t, t.region), region: t.region,
    kind: region.kind, plans: region.plans.map(describePlan), expected: expectedOf(t, t.region),
    certified: op.certified, confidence: op.confidence, note: op.note, manualOverride: t.manualOverride, configId: configId(t.config),
  };
}

/** Test-split figures again after the served plans changed by hand. */
export function reevaluate(t: TunedState): EngineReport {
  return buildReport({ config: t.config, w: t.w, cost: t.cost, rows: t.testRows, clusterOf: t.clusterOf, trainCount: t.report.split.train, evaluatedOn: t.report.evaluatedOn, bootstrap: { samples: t.report.ci.samples, seed: t.config.provenance.seed } });
}

function kCurve(config: TunedConfig): TuneReport['kCurve'] {
  const ks = new Set([...config.clustering.cvCurve.map((p) => p.k), ...config.clustering.silhouetteCurve.map((p) => p.k)]);
  return [...ks].sort((a, b) => a - b).map((k) => {
    const cv = config.clustering.cvCurve.find((p) => p.k === k);
    const sil = config.clustering.silhouetteCurve.find((p) => p.k === k);
    // The engine scores k by held-out AIQ (higher is better); 1 − AIQ reads as a held-out routing error.
    return { k, silhouette: sil ? sil.score : null, heldOutError: cv ? 1 - cv.score : null, heldOutErrorSe: cv?.se ?? null };
  });
}

export function tuneReport(t: TunedState): TuneReport {
  const r = t.report;
  const row = (policy: string, m: { accuracy: number; cost: number; retention: number; costReduction: number }, escalationRate: number | null = null): EvaluationRow => ({
    policy, accuracy: m.accuracy, costPerQuery: m.cost, retention: finiteOrNull(m.retention), costReduction: finiteOrNull(m.costReduction), escalationRate,
  });
  const evaluation: EvaluationRow[] = [
    row('system', r.system, r.system.escalationRate),
    row('stage1', r.stage1, 0),
    row('oracle', r.baselines.oracle),
    row('random', r.baselines.random),
    ...(r.baselines.k1 ? [row('k1', r.baselines.k1)] : []),
    ...Object.entries(r.baselines.single).map(([model, m]) => row(`single:${model}`, m)),
  ];
  const warnings: string[] = [];
  if (t.config.provenance.tokensApproximate) warnings.push('Some token counts are estimates (o200k_base), not the models\' own counts.');
  if (t.simulated) warnings.push('Simulated data: these figures are made up for the demo, not measurements.');
  if (t.config.stage2Skipped) warnings.push(`Stage 2 was not tuned: ${t.config.stage2Skipped}. The frontier has single models only.`);
  if (t.config.operatingPoint.note) warnings.push(t.config.operatingPoint.note);
  return {
    k: t.config.clusters.length,
    kMode: t.kMode,
    trainQueries: r.split.train,
    testQueries: r.split.test,
    kCurve: kCurve(t.config),
    evaluation,
    operatingPoint: operatingPoint(t),
    costUnit: t.config.cost.unit,
    simulated: t.simulated,
    dataSet: t.dataSet,
    configId: configId(t.config),
    durationMs: t.durationMs,
    fromCache: t.fromCache,
    warnings,
  };
}

export function budgetView(t: TunedState): BudgetView {
  const regions = t.config.regions.map((r, i) => ({
    kind: r.kind, lambdaFrom: r.lambdaFrom, lambdaTo: r.lambdaTo, ...regionFigures(t, i), expected: expectedOf(t, i), routing: firstModels(t, i), planModels: r.plans.map(planModels),
  }));
  const frontier = regions.map((r) => ({ costPerQuery: r.costPerQuery, accuracy: r.accuracy, lambda: r.lambdaFrom })).sort((a, b) => a.costPerQuery - b.costPerQuery);
  const s = t.report.strongest;
  return { costUnit: t.config.cost.unit, regions, frontier, strongest: { model: s.model, accuracy: s.accuracy, costPerQuery: s.cost }, current: operatingPoint(t) };
}

function tasksOf(t: TunedState, cluster: number, rows: (q: number) => boolean) {
  const counts = new Map<string, number>();
  t.clusterOf.forEach((c, q) => {
    if (c === cluster && rows(q)) counts.set(t.w.tasks[q], (counts.get(t.w.tasks[q]) ?? 0) + 1);
  });
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([task, queries]) => ({ task, queries }));
}

/** A cluster's compared plans as the routing table shows them, and which one the served region serves. */
function candidatesView(t: TunedState, cluster: number, served: ClusterPlan): RoutingTable['clusters'][number]['candidates'] {
  const summary = t.candidates?.[cluster];
  if (!summary) return null;
  const shown: CandidateView[] = summary.shown.map((c) => ({
    plan: describePlan(c.plan), kind: c.plan.action, models: planModels(c.plan), accuracy: c.accuracy, accuracySe: finiteOrNull(c.accuracySe),
    cost: c.cost, costSe: finiteOrNull(c.costSe), escalationRate: c.escalationRate, onHull: c.onHull,
  }));
  const key = JSON.stringify(served);
  const at = summary.shown.findIndex((c) => JSON.stringify(c.plan) === key);
  return { compared: summary.compared, shown, served: at < 0 ? null : at };
}

export function routingTable(t: TunedState): RoutingTable {
  const plans = t.config.regions[t.region].plans;
  return {
    models: t.config.pool.map((p) => p.model),
    costUnit: t.config.cost.unit,
    clusters: t.config.clusters.map((c, i) => ({
      cluster: i,
      size: c.size,
      testSize: t.testRows.reduce((n, q) => n + (t.clusterOf[q] === i ? 1 : 0), 0),
      tasks: tasksOf(t, i, (q) => !t.isTest[q]),
      cells: c.stats.map((s) => ({ error: s.shrunkErrorRate, cost: s.meanCost, dominated: !s.eligible })),
      chosen: planModels(plans[i])[0],
      plan: describePlan(plans[i]),
      planModels: planModels(plans[i]),
      candidates: candidatesView(t, i, plans[i]),
    })),
    lambda: t.lambda,
  };
}

/** A test query as the served region's plan (one model, a cascade or agree-or-escalate) handles it. */
function traceRow(t: TunedState, q: number): TraceRow {
  const cluster = t.clusterOf[q];
  const plan: ClusterPlan = t.config.regions[t.region].plans[cluster];
  const first = planModels(plan)[0];
  const m = t.w.models.indexOf(first);
  const answered = m >= 0 && t.w.correct[q * t.w.models.length + m] !== -1;
  const threshold = firstQeThreshold(plan);
  const explained = explainQuery(q, plan, t.config.cascade?.caps ?? { maxEscalations: 0, maxTotalTokens: null }, {
    w: t.w, rows: [q], clusterOf: t.clusterOf, cost: t.cost, composition: compositionOf(t.config.cost.metric),
    score: t.score ?? (() => Number.NaN), answerKinds: (t.config.cascade?.answerKinds ?? []) as AnswerKind[],
  });
  const { outcome } = explained;
  return {
    qid: t.w.qids[q], task: t.w.tasks[q], cluster, stage1Model: first,
    qeScore: answered && threshold !== null && t.score ? t.score(q, m) : null,
    threshold,
    escalated: outcome.escalations > 0,
    finalModel: t.w.models[outcome.finalModel],
    correct: outcome.correct === -1 ? null : outcome.correct === 1,
    cost: finiteOrNull(outcome.cost),
    plan: describePlan(plan),
    planKind: explained.planKind, partner: explained.partner, passes: explained.passes, reason: explained.reason, rule: explained.rule,
  };
}

const HISTOGRAM_BINS = 20;

/** QE score distributions on the test split, per model of the cascade's ladder. */
export function qeView(t: TunedState): QeView | null {
  const cascade = t.config.cascade;
  if (!cascade || !t.score) return null;
  const M = t.w.models.length;
  const allScores: number[] = [];
  const allLabels: number[] = [];
  const plans = t.config.regions[t.region].plans;
  const thresholdOf = (model: string) => plans.filter((p) => planModels(p)[0] === model).map(firstQeThreshold).find((x) => x !== null) ?? null;
  const models = cascade.ladder.map((model) => {
    const m = t.w.models.indexOf(model);
    const scores: number[] = [];
    const labels: number[] = [];
    for (const q of t.testRows) {
      const v = t.w.correct[q * M + m];
      if (m < 0 || v === -1) continue;
      scores.push(t.score!(q, m));
      labels.push(v);
    }
    allScores.push(...scores);
    allLabels.push(...labels);
    const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => i / HISTOGRAM_BINS);
    const correct = new Array<number>(HISTOGRAM_BINS).fill(0);
    const incorrect = new Array<number>(HISTOGRAM_BINS).fill(0);
    scores.forEach((x, i) => ((labels[i] === 1 ? correct : incorrect)[Math.min(HISTOGRAM_BINS - 1, Math.floor(x * HISTOGRAM_BINS))] += 1));
    const both = labels.includes(0) && labels.includes(1);
    return {
      model,
      threshold: thresholdOf(model),
      auroc: both ? finiteOrNull(auroc(scores, labels)) : null,
      ece: scores.length ? finiteOrNull(ece(scores, labels)) : null,
      histogram: { edges, correct, incorrect },
      reliability: reliabilityBins(scores, labels).filter((b) => b.count > 0).map((b) => ({ predicted: b.meanPredicted, observed: b.fractionRight, count: b.count })),
    };
  });
  return {
    method: `logistic regression on hashed n-grams, model/cluster and length features, ${cascade.qe.calibrator.kind} calibration`,
    auroc: allLabels.includes(0) && allLabels.includes(1) ? finiteOrNull(auroc(allScores, allLabels)) : null,
    ece: allScores.length ? finiteOrNull(ece(allScores, allLabels)) : null,
    models,
  };
}

/** Test queries under the current operating point, filtered and paged. */
export function listTraces(t: TunedState, f: TraceFilter): TracePage {
  const search = f.search?.toLowerCase();
  const rows: TraceRow[] = [];
  for (const q of t.testRows) {
    const row = traceRow(t, q);
    if (f.cluster !== undefined && row.cluster !== f.cluster) continue;
    if (f.model !== undefined && row.stage1Model !== f.model && row.finalModel !== f.model) continue;
    if (f.escalated !== undefined && row.escalated !== f.escalated) continue;
    if (f.correct !== undefined && row.correct !== f.correct) continue;
    if (f.task !== undefined && row.task !== f.task) continue;
    if (search && !row.qid.toLowerCase().includes(search) && !t.w.prompts[q].toLowerCase().includes(search)) continue;
    rows.push(row);
  }
  const offset = f.offset ?? 0;
  return { total: rows.length, offset, rows: rows.slice(offset, offset + (f.limit ?? 100)) };
}

/** One query with every model's answer, or null when the qid is not in the workspace. */
export function traceDetail(t: TunedState, qid: string): TraceDetail | null {
  const q = t.w.qids.indexOf(qid);
  if (q < 0) return null;
  const M = t.w.models.length;
  return {
    row: traceRow(t, q),
    prompt: t.w.prompts[q],
    reference: t.w.references[q],
    answers: t.w.models.map((model, m) => {
      const r = t.w.responses[q * M + m];
      const v = t.w.correct[q * M + m];
      return {
        model,
        response: r?.response ?? null,
        answer: r?.answer ?? null,
        correct: v === -1 ? null : v === 1,
        cost: finiteOrNull(t.cost[q * M + m]),
        outputTokens: finiteOrNull(t.w.outputTokens[q * M + m]),
        qeScore: t.score && r ? t.score(q, m) : null,
      };
    }),
  };
}

/** The cluster map's points, given a 2-D projection of every workload row. */
const AXES: Record<'pca' | 'umap', [ProjectionAxis, ProjectionAxis]> = {
  pca: [
    { name: 'PC 1', meaning: 'first principal component of the query embeddings (the direction of largest variance); unit: embedding distance' },
    { name: 'PC 2', meaning: 'second principal component (largest variance across PC 1); unit: embedding distance' },
  ],
  umap: [
    { name: 'UMAP 1', meaning: 'UMAP layout (15 neighbours): near points have similar embeddings; distances between far groups and the axes carry no meaning' },
    { name: 'UMAP 2', meaning: 'UMAP layout: no unit' },
  ],
};

export function clusterMap(t: TunedState, projection: ClusterMap['projection'], xy: ArrayLike<number>, axes: [ProjectionAxis, ProjectionAxis] = AXES[projection === 'umap' ? 'umap' : 'pca']): ClusterMap {
  const first = firstModels(t, t.region);
  return {
    projection,
    points: t.w.qids.map((qid, q) => ({
      qid,
      x: xy[2 * q],
      y: xy[2 * q + 1],
      cluster: t.clusterOf[q],
      split: t.isTest[q] ? ('test' as const) : ('train' as const),
      routedModel: first[t.clusterOf[q]],
      task: t.w.tasks[q],
      text: t.w.prompts[q].slice(0, TEXT_PREVIEW),
    })),
    kCurve: kCurve(t.config),
    k: t.config.clusters.length,
    axes,
  };
}
