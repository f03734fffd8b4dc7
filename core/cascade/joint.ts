import { answerKindOf, type AnswerKind } from '../extract.js';
import { InvalidInputError, OutOfRangeError } from '../errors.js';
import { labelledAnswers, qeInputOf } from '../qe/dataset.js';
import { auroc, ece } from '../qe/metrics.js';
import { LearnedQe, trainQe, type TrainQeOptions } from '../qe/model.js';
import { mulberry32, permutation } from '../rng.js';
import type { Workload } from '../workload.js';
import { candidatePlans, type Candidate, type CandidateOptions } from './candidates.js';
import { frugalBaseline } from './frugal.js';
import { paretoLadder } from './ladder.js';
import type { CascadeCaps, CascadeConfig, ClusterPlan, PlanFigures } from './plan.js';
import { selectPlans, type Group, type Selection, type SelectionCriterion } from './select.js';
import { compositionOf } from './simulate.js';

/** The stage-2 target: a retention target (with a safety margin) or a cost budget per query. */
export type CascadeCriterion =
  | { kind: 'targetRetention'; targetRetention: number; /** Standard errors of the held-out estimate kept in hand. Defaults to `1`. */ margin?: number }
  | { kind: 'budget'; budget: number };

export interface JointTuneOptions {
  criterion: CascadeCriterion;
  /** Seeds the division of the training split into QE-fit, calibration and selection queries. Defaults to `0`. */
  seed?: number;
  /** Shares of the training split for fitting and calibrating the QE; the rest chooses plans and thresholds. Defaults to `{fit: 0.4, calibrate: 0.2}`. */
  parts?: { fit: number; calibrate: number };
  /** Defaults to `{maxEscalations: 2, maxTotalTokens: null}`. */
  caps?: Partial<CascadeCaps>;
  /** Defaults to the QE's own defaults. */
  qe?: TrainQeOptions;
  /** Defaults to the candidate generator's defaults. */
  candidates?: CandidateOptions;
}

export interface JointTuneInput {
  w: Workload;
  /** Training rows of the workload (the config's train split); nothing else is read. */
  train: ArrayLike<number>;
  /** Cluster of every workload row (train rows at least). */
  clusterOf: ArrayLike<number>;
  k: number;
  /** Cost of every cell in the metric's units (costMatrix). */
  cost: Float64Array;
  metric: string;
  /** The strongest model (workload index): retention is measured against it. */
  strongest: number;
}

export interface JointTuneResult {
  cascade: CascadeConfig;
  /** The best stage-1-only plans (one model per cluster) at the same target, from the same candidates. */
  stage1Plans: ClusterPlan[];
  /** The λ-ordered selection behind each, with per-cluster candidates' figures. */
  system: Selection;
  stage1: Selection;
  /** Stage 1 + 2 tuned to stage 1's own expected retention: the cost of stage 1's accuracy with a cascade. */
  matched: Selection;
  /** The FrugalGPT-style baseline's selection on the same queries. */
  frugal: Selection;
  qe: LearnedQe;
  /** Rows of each part of the training split. */
  parts: { fit: Int32Array; calibrate: Int32Array; select: Int32Array };
  /** Per cluster: the selection queries' count and every candidate (for reports and the FrugalGPT baseline). */
  groups: Group[];
  /** The cached QE score function over workload cells. */
  score: (q: number, m: number) => number;
  /** Wall time of each step, ms. */
  timings: { qeTrainMs: number; qeEvalMs: number; plansMs: number };
}

/** Pseudo-answers of the Beta prior behind per-cluster accuracies, as in stage 1's statistics. */
const PRIOR = 10;

/** A cached scorer of workload cells: the calibrated QE score of model m's answer to query q. */
export function qeScorer(qe: LearnedQe, w: Workload, clusterOf: ArrayLike<number>): (q: number, m: number) => number {
  const M = w.models.length;
  const cache = new Float64Array(w.qids.length * M).fill(Number.NaN);
  return (q, m) => {
    const i = q * M + m;
    if (Number.isNaN(cache[i])) {
      const x = qeInputOf(w, q, m, clusterOf[q]);
      if (!x) throw new InvalidInputError(`no answer of "${w.models[m]}" to "${w.qids[q]}" to score`, 'QE');
      cache[i] = qe.score(x);
    }
    return cache[i];
  };
}

/** Divides train rows into three disjoint, seeded parts, stratified by cluster. */
export function splitTrainParts(train: ArrayLike<number>, clusterOf: ArrayLike<number>, k: number, parts: { fit: number; calibrate: number }, seed: number) {
  if (!(parts.fit > 0 && parts.calibrate > 0 && parts.fit + parts.calibrate < 1)) {
    throw new OutOfRangeError(`QE parts fit=${parts.fit}, calibrate=${parts.calibrate} must be positive and leave room for selection`, 'cascade parts');
  }
  const byCluster: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < train.length; i++) byCluster[clusterOf[train[i]]].push(train[i]);
  const rand = mulberry32(seed ^ 0x5eed);
  const fit: number[] = [];
  const calibrate: number[] = [];
  const select: number[] = [];
  for (const rows of byCluster) {
    const perm = permutation(rows.length, rand);
    const nFit = Math.round(rows.length * parts.fit);
    const nCal = Math.round(rows.length * parts.calibrate);
    perm.forEach((p, i) => (i < nFit ? fit : i < nFit + nCal ? calibrate : select).push(rows[p]));
  }
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { fit: sorted(fit), calibrate: sorted(calibrate), select: sorted(select) };
}

/** Per-cluster mean accuracy and cost of each model over the given rows (answered cells only). */
function meanTable(w: Workload, rows: ArrayLike<number>, clusterOf: ArrayLike<number>, k: number, cost: Float64Array) {
  const M = w.models.length;
  const n = new Float64Array(k * M);
  const right = new Float64Array(k * M);
  const spend = new Float64Array(k * M);
  for (let i = 0; i < rows.length; i++) {
    const q = rows[i];
    const c = clusterOf[q];
    for (let m = 0; m < M; m++) {
      const v = w.correct[q * M + m];
      if (v === -1) continue;
      n[c * M + m]++;
      right[c * M + m] += v;
      spend[c * M + m] += cost[q * M + m];
    }
  }
  return { n, right, spend };
}

function figuresOf(s: Selection): PlanFigures {
  return { accuracy: s.accuracy, cost: s.cost, retention: s.retention, escalationRate: s.escalationRate };
}

/**
 * Stage 1 and stage 2 tuned together. The training split is divided into QE-fit, calibration and
 * selection queries; the QE is fitted and calibrated on the first two; on the selection queries
 * every cluster gets its candidate plans (one model, cascades up its Pareto set, agree-or-escalate)
 * and one λ-ordered sweep picks a plan per cluster for the criterion. The same sweep restricted to
 * one-model plans gives the stage-1-only answer at the same target, for comparison.
 */
export function jointTune(input: JointTuneInput, options: JointTuneOptions): JointTuneResult {
  const { w, train, clusterOf, k, cost } = input;
  const M = w.models.length;
  if (train.length === 0) throw new InvalidInputError('the training split is empty', 'cascade tuning');
  const seed = options.seed ?? 0;
  const caps: CascadeCaps = { maxEscalations: 2, maxTotalTokens: null, ...options.caps };
  const parts = splitTrainParts(train, clusterOf, k, options.parts ?? { fit: 0.4, calibrate: 0.2 }, seed);
  const t0 = Date.now();
  const qeModel = trainQe(labelledAnswers(w, parts.fit, clusterOf), labelledAnswers(w, parts.calibrate, clusterOf), w.models, k, options.qe);
  const qe = new LearnedQe(qeModel);
  const score = qeScorer(qe, w, clusterOf);
  const t1 = Date.now();
  const held = labelledAnswers(w, parts.select, clusterOf);
  const heldScores = held.map((a) => qe.score(a.input));
  const heldLabels = held.map((a) => a.correct);

  const t2 = Date.now();
  const full = meanTable(w, train, clusterOf, k, cost);
  const sel = meanTable(w, parts.select, clusterOf, k, cost);
  const trainSize = new Array<number>(k).fill(0);
  const selectRows: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < train.length; i++) trainSize[clusterOf[train[i]]]++;
  for (let i = 0; i < parts.select.length; i++) selectRows[clusterOf[parts.select[i]]].push(parts.select[i]);
  const globalRate = Array.from({ length: M }, (_, m) => {
    let n = 0;
    let r = 0;
    let spend = 0;
    for (let c = 0; c < k; c++) {
      n += full.n[c * M + m];
      r += full.right[c * M + m];
      spend += full.spend[c * M + m];
    }
    return { n, rate: n ? r / n : Number.NaN, cost: n ? spend / n : Number.NaN };
  });
  const answerKinds: AnswerKind[] = [];
  const groups: Group[] = [];
  for (let c = 0; c < k; c++) {
    const tasks = new Map<string, number>();
    for (const q of selectRows[c]) tasks.set(w.tasks[q], (tasks.get(w.tasks[q]) ?? 0) + 1);
    const topTask = [...tasks].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
    answerKinds.push(answerKindOf(topTask));
    // Shrunk towards the model's global rate: a model known from a small probe (adapt) gets a
    // sensible figure, and one with hundreds of answers keeps its own.
    const acc = (m: number) => (globalRate[m].n ? (full.right[c * M + m] + PRIOR * globalRate[m].rate) / (full.n[c * M + m] + PRIOR) : Number.NaN);
    const mc = (m: number) => (full.n[c * M + m] ? full.spend[c * M + m] / full.n[c * M + m] : Number.NaN);
    const models = paretoLadder(Array.from({ length: M }, (_, m) => ({ accuracy: acc(m), cost: mc(m) })));
    // A cluster too small to have selection queries can still answer with one model, on its training figures.
    const candidates: Candidate[] =
      selectRows[c].length > 0
        ? candidatePlans(
            {
              w, rows: selectRows[c], models, cost, composition: compositionOf(input.metric), score, kind: answerKinds[c], caps,
              fallback: (m) => ({ accuracy: acc(m), cost: mc(m) }),
            },
            options.candidates,
          )
        : models.map((m) => ({ plan: { action: 'answer', model: w.models[m] }, accuracy: acc(m), cost: mc(m), escalationRate: 0 }));
    const s = input.strongest;
    groups.push({
      weight: trainSize[c] / train.length,
      n: selectRows[c].length,
      strongestAccuracy: sel.n[c * M + s] ? sel.right[c * M + s] / sel.n[c * M + s] : acc(s),
      candidates,
    });
  }
  const criterion: SelectionCriterion =
    options.criterion.kind === 'budget' ? options.criterion : { ...options.criterion, margin: options.criterion.margin ?? 1 };
  const system = selectPlans(groups, criterion);
  const stage1 = selectPlans(groups.map((g) => ({ ...g, candidates: g.candidates.filter((c) => c.plan.action === 'answer') })), criterion);
  // Same safety margin as the system's: the comparison asks for stage 1's accuracy, not less by noise.
  const matched = selectPlans(groups, { kind: 'targetRetention', targetRetention: stage1.retention, margin: criterion.kind === 'targetRetention' ? criterion.margin : 1 });
  const ladder = paretoLadder(globalRate.map((g) => ({ accuracy: g.rate, cost: g.cost })));
  const frugal = frugalBaseline({ w, select: parts.select, cost, metric: input.metric, ladder, score, caps, strongest: input.strongest }, criterion);
  const cascade: CascadeConfig = {
    qe: qeModel,
    qeBackend: 'learned',
    qeQuality: { auroc: auroc(heldScores, heldLabels), ece: ece(heldScores, heldLabels), answers: held.length, calibration: qeModel.calibrator.kind },
    ladder: ladder.map((m) => w.models[m]),
    answerKinds,
    plans: system.chosen.map((c) => c.plan),
    caps,
    criterion: criterion.kind === 'budget' ? criterion : { kind: 'targetRetention', targetRetention: criterion.targetRetention, margin: criterion.margin },
    parts: { seed, fit: parts.fit.length, calibrate: parts.calibrate.length, select: parts.select.length },
    expected: { system: figuresOf(system), stage1: figuresOf(stage1) },
    baselines: { stage1Only: stage1.chosen.map((c) => c.plan), matched: matched.chosen.map((c) => c.plan), frugal: frugal.plan },
  };
  const timings = { qeTrainMs: t1 - t0, qeEvalMs: t2 - t1, plansMs: Date.now() - t2 };
  return { cascade, stage1Plans: stage1.chosen.map((c) => c.plan), system, stage1, matched, frugal: frugal.selection, qe, parts, groups, score, timings };
}
