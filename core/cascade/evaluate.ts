import type { AnswerKind } from '../extract.js';
import { labelledAnswers } from '../qe/dataset.js';
import { auroc, ece } from '../qe/metrics.js';
import type { LearnedQe } from '../qe/model.js';
import type { Workload } from '../workload.js';
import type { CascadeCaps, ClusterPlan } from './plan.js';
import { compositionOf, simulatePlans, type SimulationSummary } from './simulate.js';

/** Figures of one system on held-out queries, next to the strongest model's. */
export interface SystemFigures extends SimulationSummary {
  /** accuracy / the strongest model's accuracy on the same queries. */
  retention: number;
  /** cost / the strongest model's cost on the same queries. */
  costRatio: number;
}

export interface ClusterComparison {
  cluster: number;
  n: number;
  plan: ClusterPlan;
  stage1Plan: ClusterPlan;
  system: { accuracy: number; cost: number; escalationRate: number };
  stage1: { accuracy: number; cost: number };
  /** Stage 2 saved cost without losing accuracy, or gained accuracy without extra cost. */
  helped: boolean;
}

export interface CascadeEvaluation {
  strongest: SimulationSummary;
  system: SystemFigures;
  stage1: SystemFigures;
  frugal: SystemFigures;
  /** Stage 1 + 2 tuned to stage 1's expected accuracy (see JointTuneResult.matched). */
  matched: SystemFigures;
  /** QE ranking and calibration on every answer of the evaluated queries. */
  qe: { auroc: number; ece: number; answers: number };
  perCluster: ClusterComparison[];
}

export interface EvaluateCascadeInput {
  w: Workload;
  /** The queries to evaluate on (the test split). */
  rows: ArrayLike<number>;
  clusterOf: ArrayLike<number>;
  cost: Float64Array;
  metric: string;
  qe: LearnedQe;
  score: (q: number, m: number) => number;
  caps: CascadeCaps;
  answerKinds: readonly AnswerKind[];
  plans: readonly ClusterPlan[];
  stage1Plans: readonly ClusterPlan[];
  frugalPlan: ClusterPlan;
  matchedPlans: readonly ClusterPlan[];
  strongest: string;
}

/** Runs the system, stage 1 alone, the FrugalGPT baseline and the strongest model over the same queries, every pass paid. */
export function evaluateCascade(input: EvaluateCascadeInput): CascadeEvaluation {
  const K = input.plans.length;
  const sim = (plans: readonly ClusterPlan[], rows: ArrayLike<number> = input.rows) =>
    simulatePlans(plans, input.caps, { w: input.w, rows, clusterOf: input.clusterOf, cost: input.cost, composition: compositionOf(input.metric), score: input.score, answerKinds: input.answerKinds });
  const strongPlans: ClusterPlan[] = Array.from({ length: K }, () => ({ action: 'answer', model: input.strongest }));
  const { outcomes: _s, ...strongest } = sim(strongPlans);
  const figures = (plans: readonly ClusterPlan[]): SystemFigures => {
    const { outcomes: _o, ...s } = sim(plans);
    return { ...s, retention: s.accuracy / strongest.accuracy, costRatio: s.cost / strongest.cost };
  };
  const answers = labelledAnswers(input.w, input.rows, input.clusterOf);
  const scores = answers.map((a) => input.qe.score(a.input));
  const labels = answers.map((a) => a.correct);
  const perCluster: ClusterComparison[] = [];
  for (let c = 0; c < K; c++) {
    const rows: number[] = [];
    for (let i = 0; i < input.rows.length; i++) if (input.clusterOf[input.rows[i]] === c) rows.push(input.rows[i]);
    const s = sim(input.plans, rows);
    const one = sim(input.stage1Plans, rows);
    const helped = (s.cost < one.cost && s.accuracy >= one.accuracy - 1e-12) || (s.accuracy > one.accuracy && s.cost <= one.cost);
    perCluster.push({
      cluster: c,
      n: s.n,
      plan: input.plans[c],
      stage1Plan: input.stage1Plans[c],
      system: { accuracy: s.accuracy, cost: s.cost, escalationRate: s.escalationRate },
      stage1: { accuracy: one.accuracy, cost: one.cost },
      helped,
    });
  }
  return {
    strongest,
    system: figures(input.plans),
    stage1: figures(input.stage1Plans),
    frugal: figures(Array.from({ length: K }, () => input.frugalPlan)),
    matched: figures(input.matchedPlans),
    qe: { auroc: auroc(scores, labels), ece: ece(scores, labels), answers: answers.length },
    perCluster,
  };
}
