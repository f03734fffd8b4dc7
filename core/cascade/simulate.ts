import type { AnswerKind } from '../extract.js';
import { answersAgree } from '../graders.js';
import { InvalidInputError } from '../errors.js';
import { cellIndex, type Workload } from '../workload.js';
import { decide, type CascadeCaps, type ClusterPlan, type Decision } from './plan.js';

/**
 * How the passes of one query add up in a cost metric. Money and tokens add; for time, passes in
 * sequence add while the two passes an agreement plan runs together cost the slower of the two.
 */
export type CostComposition = 'sum' | 'sequential';

/** The composition of a cost metric: usd and tokens add; latency and tpot are time, charged per stage. */
export function compositionOf(metric: string): CostComposition {
  return metric === 'latency' || metric === 'tpot' ? 'sequential' : 'sum';
}

export interface SimulationInput {
  w: Workload;
  /** Workload rows (queries) to simulate. */
  rows: ArrayLike<number>;
  /** Cluster of every workload row. */
  clusterOf: ArrayLike<number>;
  /** Cost of every cell in the metric's units (see costMatrix). */
  cost: Float64Array;
  composition: CostComposition;
  /** Calibrated QE score of one answered cell; only called where a plan thresholds on it. */
  score: (q: number, m: number) => number;
  /** Answer kind per cluster, for agreement. */
  answerKinds: readonly AnswerKind[];
}

/** What happened to one query. */
export interface QueryOutcome {
  /** 1 right, 0 wrong, -1 unknown (a model on its path has no answer in the log). */
  correct: number;
  cost: number;
  escalations: number;
  /** Workload model index of the answer kept. */
  finalModel: number;
}

/** One step of a query's way through its plan, as `simulateQuery` records it when asked. */
export interface SimulatedStep {
  /** Workload model indices this step ran (two for an agreement plan's first step). */
  models: number[];
  /** QE score of the step's answer, where the decision read one. */
  qe: number | null;
  /** Whether the two answers agreed (agreement plans, first step). */
  agree: boolean | null;
  /** The decision taken after the step. */
  decision: Decision;
}

export interface SimulationSummary {
  /** Queries with a known outcome. */
  n: number;
  accuracy: number;
  /** Mean cost per query, every pass paid. */
  cost: number;
  /** Share of queries escalated at least once. */
  escalationRate: number;
}

function modelIndex(w: Workload, model: string): number {
  const m = w.models.indexOf(model);
  if (m < 0) throw new InvalidInputError(`the plan names model "${model}", which the run log does not have`, 'cascade plan');
  return m;
}

function tokensOf(w: Workload, q: number, m: number): number {
  const i = cellIndex(w, q, m);
  return (Number.isFinite(w.promptTokens[q]) ? w.promptTokens[q] : 0) + (Number.isFinite(w.outputTokens[i]) ? w.outputTokens[i] : 0);
}

/**
 * Runs one query through its cluster's plan, every pass paid, using the same `decide` as serving.
 * `steps`, when given, receives each step and its decision (the traces explain themselves from it).
 */
export function simulateQuery(q: number, plan: ClusterPlan, caps: CascadeCaps, input: SimulationInput, steps?: SimulatedStep[]): QueryOutcome {
  const { w, cost } = input;
  const cell = (m: number) => cellIndex(w, q, m);
  let total = 0;
  let tokens = 0;
  let unknown = false;
  const pay = (ms: number[]) => {
    const costs = ms.map((m) => cost[cell(m)]);
    if (ms.some((m) => w.correct[cell(m)] === -1)) unknown = true;
    total += input.composition === 'sum' ? costs.reduce((a, b) => a + b, 0) : Math.max(...costs);
    for (const m of ms) tokens += tokensOf(w, q, m);
  };
  let current: number;
  let decision: Decision;
  let step = 0;
  if (plan.action === 'agree') {
    current = modelIndex(w, plan.model);
    const partner = modelIndex(w, plan.partner);
    pay([current, partner]);
    const kind = input.answerKinds[input.clusterOf[q]] ?? 'text';
    const agree = !unknown && answersAgree(kind, w.responses[cell(current)]!.answer, w.responses[cell(partner)]!.answer);
    const qe = plan.threshold > 0 && !unknown ? input.score(q, current) : null;
    decision = decide(plan, caps, { step, agree, tokensSoFar: tokens, ...(qe !== null && { qe }) });
    steps?.push({ models: [current, partner], qe, agree: unknown ? null : agree, decision });
  } else {
    current = modelIndex(w, plan.action === 'answer' ? plan.model : plan.rungs[0]);
    pay([current]);
    const qe = plan.action === 'cascade' && !unknown ? input.score(q, current) : null;
    decision = decide(plan, caps, { step, tokensSoFar: tokens, ...(qe !== null && { qe }) });
    steps?.push({ models: [current], qe, agree: null, decision });
  }
  while (decision.kind === 'escalate' && !unknown) {
    current = modelIndex(w, decision.model);
    pay([current]);
    step++;
    const qe = !unknown && plan.action === 'cascade' && step < plan.rungs.length - 1 ? input.score(q, current) : null;
    decision = unknown ? { kind: 'accept', reason: 'final' } : decide(plan, caps, { step, tokensSoFar: tokens, ...(qe !== null && { qe }) });
    steps?.push({ models: [current], qe, agree: null, decision });
  }
  return { correct: unknown ? -1 : w.correct[cell(current)], cost: total, escalations: step, finalModel: current };
}

/** Simulates the per-cluster plans on the given rows and sums up accuracy, cost and escalations. */
export function simulatePlans(plans: readonly ClusterPlan[], caps: CascadeCaps, input: SimulationInput): SimulationSummary & { outcomes: QueryOutcome[] } {
  const outcomes: QueryOutcome[] = [];
  let n = 0;
  let right = 0;
  let cost = 0;
  let escalated = 0;
  for (let i = 0; i < input.rows.length; i++) {
    const q = input.rows[i];
    const plan = plans[input.clusterOf[q]];
    if (!plan) throw new InvalidInputError(`no plan for cluster ${input.clusterOf[q]} (query "${input.w.qids[q]}")`, 'cascade plan');
    const o = simulateQuery(q, plan, caps, input);
    outcomes.push(o);
    if (o.correct === -1) continue;
    n++;
    right += o.correct;
    cost += o.cost;
    if (o.escalations > 0) escalated++;
  }
  return { n, accuracy: n ? right / n : Number.NaN, cost: n ? cost / n : Number.NaN, escalationRate: n ? escalated / n : Number.NaN, outcomes };
}
