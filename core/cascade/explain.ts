import { cellIndex } from '../workload.js';
import { qeThreshold, type CascadeCaps, type ClusterPlan, type Decision } from './plan.js';
import { simulateQuery, type QueryOutcome, type SimulatedStep, type SimulationInput } from './simulate.js';

/*
 * A query's way through its plan in words: every pass with what it saw, and the rule that ended it.
 * The words are built here, from the same steps and decisions `simulateQuery` (and so serving's
 * `decide`) takes, so a trace, a tooltip and an exported figure cannot tell different stories.
 */

export type PlanKind = ClusterPlan['action'];

/** What each plan kind is called wherever a trace names it. */
export const PLAN_KIND_NAMES: Record<PlanKind, string> = { answer: 'answer', cascade: 'cascade', agree: 'agree-or-escalate' };

export interface ExplainedPass {
  model: string;
  /** stage1: the routed first pass; partner: an agreement plan's second cheap pass; escalation: a stronger rung. */
  role: 'stage1' | 'partner' | 'escalation';
  /** The extracted final answer in the run log; null where the model did not answer. */
  answer: string | null;
  correct: boolean | null;
  /** QE score of this pass's answer where the decision read it. */
  qeScore: number | null;
  /** The threshold that score was held to, where there was one. */
  threshold: number | null;
  /** First pass of an agreement plan: whether its answer and the partner's agree. */
  agree: boolean | null;
  cost: number | null;
  latencyMs: number | null;
}

export interface ExplainedQuery {
  outcome: QueryOutcome;
  planKind: PlanKind;
  /** The agreement partner; null for other plans. */
  partner: string | null;
  passes: ExplainedPass[];
  /** The reason of the last decision (core/cascade/plan.ts `decide`). */
  reason: Decision['reason'];
  /** That decision, and each escalation before it, in words. */
  rule: string;
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);
const score = (x: number) => x.toFixed(2);

/** One decision in words, given the step it followed. */
function decisionInWords(plan: ClusterPlan, step: SimulatedStep, threshold: number | null, kept: string, caps: CascadeCaps): string {
  const d = step.decision;
  const qe = step.qe === null || threshold === null ? '' : `QE ${score(step.qe)} ${step.qe >= threshold ? '≥' : '<'} threshold ${score(threshold)}`;
  const pair = plan.action === 'agree' ? `${plan.model} and ${plan.partner}` : '';
  switch (d.reason) {
    case 'final':
      return plan.action === 'answer' ? `one model answers: ${kept}'s answer is kept` : `last model of the plan: ${kept}'s answer is kept`;
    case 'confident':
      return `${qe}: ${kept}'s answer is kept`;
    case 'agreed':
      return `${pair} agree${qe ? ` and ${qe}` : ''}: ${kept}'s answer is kept`;
    case 'cap':
      return `escalation cap reached (at most ${caps.maxEscalations} escalation${caps.maxEscalations === 1 ? '' : 's'}${caps.maxTotalTokens === null ? '' : ` or ${caps.maxTotalTokens} tokens`}): ${kept}'s answer is kept${qe ? ` although ${qe}` : ''}`;
    case 'doubtful':
      return `${pair ? `${pair} agree but ` : ''}${qe}: escalated to ${d.kind === 'escalate' ? d.model : '?'}`;
    case 'disagreed':
      return `${pair} disagree: escalated to ${d.kind === 'escalate' ? d.model : '?'}`;
  }
}

/** Runs one query through its plan (as `simulateQuery`) and explains every pass and decision. */
export function explainQuery(q: number, plan: ClusterPlan, caps: CascadeCaps, input: SimulationInput): ExplainedQuery {
  const { w, cost } = input;
  const steps: SimulatedStep[] = [];
  const outcome = simulateQuery(q, plan, caps, input, steps);
  const passes: ExplainedPass[] = [];
  const words: string[] = [];
  steps.forEach((step, i) => {
    const threshold = qeThreshold(plan, i);
    step.models.forEach((m, j) => {
      const cell = cellIndex(w, q, m);
      const v = w.correct[cell];
      passes.push({
        model: w.models[m],
        role: i > 0 ? 'escalation' : j === 0 ? 'stage1' : 'partner',
        answer: w.responses[cell]?.answer ?? null,
        correct: v === -1 ? null : v === 1,
        qeScore: j === 0 ? step.qe : null,
        threshold: j === 0 && step.qe !== null ? threshold : null,
        agree: j === 0 ? step.agree : null,
        cost: finite(cost[cell]),
        latencyMs: finite(w.latencyMs[cell]),
      });
    });
    words.push(decisionInWords(plan, step, threshold, w.models[step.models[0]], caps));
  });
  const last = steps[steps.length - 1].decision;
  return { outcome, planKind: plan.action, partner: plan.action === 'agree' ? plan.partner : null, passes, reason: last.reason, rule: words.join('; then ') };
}

/** A trace's decision in one line: the plan kind, the partner of an agreement plan, and the rule that fired. The list, the map's hover card and the trace all show this line. */
export function traceSummary(row: { planKind: PlanKind; partner: string | null; rule: string }): string {
  return `${PLAN_KIND_NAMES[row.planKind]}${row.partner ? ` (partner ${row.partner})` : ''}: ${row.rule}`;
}
