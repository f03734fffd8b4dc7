import type { AnswerKind } from '../extract.js';
import { candidatePlans, type CandidateOptions } from '../cascade/candidates.js';
import { crossFitFolds, crossFitQe, stage2Problem } from '../cascade/crossfit.js';
import { paretoLadder } from '../cascade/ladder.js';
import type { CascadeCaps, CascadeConfig, ClusterPlan } from '../cascade/plan.js';
import { compositionOf } from '../cascade/simulate.js';
import type { Region, TunedConfig } from '../config.js';
import type { TrainQeOptions } from '../qe/model.js';
import { cellIndex } from '../workload.js';
import { buildFrontier, type BuiltRegion, type ClusterCandidates, type FrontierData } from './build.js';
import { certificateOf, checkConfidence, pickOnHull, pickOperatingPoint, type OperatingCriterion } from './operating-point.js';
import { concaveHull } from './hull.js';

/** Stage-2 settings of a tune. */
export interface Stage2Options {
  /** Defaults to `{maxEscalations: 2, maxTotalTokens: null}`. */
  caps?: Partial<CascadeCaps>;
  /** Defaults to the QE's own defaults. */
  qe?: TrainQeOptions;
  /** Defaults to the candidate generator's defaults. */
  candidates?: CandidateOptions;
}

/** The data of a tune (or adapt): train rows, their clusters, the pool and the cost of every cell. */
export type FitFrontierInput = FrontierData;

export interface FitFrontierOptions {
  /** Cross-fitting folds. Defaults to `5`. */
  folds?: number;
  seed: number;
  priorStrength: number;
  /** Stage 2, or false for stage 1 alone. */
  cascade: Stage2Options | false;
  criterion: OperatingCriterion;
  /** Confidence of the operating point's certificate; 0 for the point estimate alone. */
  confidence: number;
  /** See FrontierInput.guard. Defaults to `1`. */
  guard?: number;
  /** The cost metric's unit, for messages. Defaults to none. */
  unit?: string;
}

/** What a tune (or adapt) stores about the frontier and the operating point. */
export type FittedFrontier = Pick<TunedConfig, 'crossFit' | 'regions' | 'stage1Regions' | 'operatingPoint' | 'stage2Skipped' | 'cascade'> & {
  timings: { qeMs: number; frontierMs: number };
  /** Plans compared per cluster. */
  candidates: number[];
  /** Per cluster, the compared plans in short (for a "why this plan" view). */
  summaries: ClusterCandidates[];
};

export const FIT_DEFAULTS = { folds: 5, guard: 1, caps: { maxEscalations: 2, maxTotalTokens: null } as CascadeCaps } as const;

/**
 * Adjacent frontier regions that serve the same plans become one (the earlier one's figures, the
 * union of their λ intervals): the guards often set neighbouring regions back to the same plans, and
 * two regions that serve identically are one choice for the slider and the certificate alike.
 */
function mergeSamePlans(regions: BuiltRegion[]): BuiltRegion[] {
  const out: BuiltRegion[] = [];
  for (const r of regions) {
    const last = out[out.length - 1];
    if (last && last.kind === 'frontier' && r.kind === 'frontier' && JSON.stringify(last.plans) === JSON.stringify(r.plans)) out[out.length - 1] = { ...last, lambdaTo: r.lambdaTo };
    else out.push(r);
  }
  return out;
}

function toRegion(r: BuiltRegion, confidence: number): Region {
  return { ...r, expected: { ...r.expected, retentionLower: confidence > 0 ? certificateOf(r, confidence).retentionLower : null } };
}

/**
 * The FrugalGPT-style baseline: one cascade for every query, whatever its cluster, up the Pareto-ordered
 * pool with the same scorer, chosen for the same criterion on the out-of-fold scores of all of train.
 */
function frugalPlan(input: FitFrontierInput, ladder: number[], score: (q: number, m: number) => number, caps: CascadeCaps, criterion: OperatingCriterion, strongestAccuracy: number): ClusterPlan {
  const { w, train } = input;
  const candidates = candidatePlans(
    { w, rows: train, fold: new Int32Array(train.length), folds: 1, models: ladder, cost: input.cost, composition: compositionOf(input.metric), score, kind: 'text', caps, fallback: () => ({ accuracy: 0, cost: 0 }) },
    { agreement: false },
  );
  const hull = concaveHull(candidates.map((c) => ({ plan: c.plan, accuracy: c.sums[0] / train.length, cost: c.sums[1] / train.length, escalationRate: c.sums[2] / train.length })));
  return pickOnHull(hull, criterion, strongestAccuracy, input.costScale).plan;
}

/** Stage 2's QE (cross-fitted) and the joint frontier, or stage 1 alone; then the operating point. */
export function fitFrontier(input: FitFrontierInput, options: FitFrontierOptions): FittedFrontier {
  checkConfidence(options.confidence);
  const folds = options.folds ?? FIT_DEFAULTS.folds;
  const guard = options.guard ?? FIT_DEFAULTS.guard;
  const { w, train } = input;
  const fold = crossFitFolds(train, input.clusterOf, input.k, folds, options.seed);
  const caps: CascadeCaps = { ...FIT_DEFAULTS.caps, ...(options.cascade ? options.cascade.caps : {}) };
  const skipped = options.cascade ? stage2Problem(w, train, folds) : null;
  const t0 = Date.now();
  const qe = options.cascade && !skipped ? crossFitQe(w, train, fold, folds, input.clusterOf, input.k, options.seed, options.cascade.qe) : null;
  const t1 = Date.now();
  const built = buildFrontier({
    ...input, fold, folds, priorStrength: options.priorStrength, score: qe?.score ?? null, caps, guard, seed: options.seed,
    ...(options.cascade && options.cascade.candidates && { candidates: options.cascade.candidates }),
  });
  const regions = mergeSamePlans(built.regions).map((r) => toRegion(r, options.confidence));
  const stage1Regions = built.stage1 && mergeSamePlans(built.stage1).map((r) => toRegion(r, options.confidence));
  const choice = pickOperatingPoint(regions, options.criterion, options.confidence, options.unit);
  let cascade: CascadeConfig | null = null;
  if (qe) {
    const global = input.pool.map((m) => {
      let n = 0;
      let right = 0;
      let spend = 0;
      for (const q of train) {
        const v = w.correct[cellIndex(w, q, m)];
        if (v === -1) continue;
        n++;
        right += v;
        spend += input.cost[cellIndex(w, q, m)];
      }
      return { accuracy: n ? right / n : Number.NaN, cost: n ? spend / n : Number.NaN };
    });
    const ladder = paretoLadder(global).map((j) => input.pool[j]);
    cascade = {
      qe: qe.qe,
      qeBackend: 'learned',
      qeQuality: { ...qe.quality, calibration: qe.qe.calibrator.kind },
      ladder: ladder.map((m) => w.models[m]),
      answerKinds: built.answerKinds as AnswerKind[],
      caps,
      frugal: frugalPlan(input, ladder, qe.score, caps, options.criterion, built.strongestAccuracy),
    };
  }
  return {
    crossFit: { folds, seed: options.seed, guard },
    regions,
    stage1Regions,
    operatingPoint: { criterion: options.criterion, confidence: options.confidence, ...choice },
    stage2Skipped: options.cascade ? skipped : null,
    cascade,
    timings: { qeMs: t1 - t0, frontierMs: Date.now() - t1 },
    candidates: built.candidates,
    summaries: built.summaries,
  };
}
