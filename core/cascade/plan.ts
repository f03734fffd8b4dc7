import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { QeModelSchema } from '../qe/model.js';

/*
 * The stage-2 part of a tuned config and the request-time decision it drives. Everything here
 * is pure and synchronous: the live cascade and the server call `firstModels` and `decide`
 * between passes, with the QE score computed by whichever QE back end the config names.
 */

const Probability = z.number().min(0).max(1);

/** What a cluster's queries do. */
export const ClusterPlanSchema = z.discriminatedUnion('action', [
  /** One pass with one model, no QE. */
  z.object({ action: z.literal('answer'), model: z.string().min(1) }),
  /**
   * Climb the rungs: accept rung i's answer when its QE score is at least thresholds[i], else
   * escalate to rung i+1; the last rung's answer is always kept.
   */
  z.object({
    action: z.literal('cascade'),
    rungs: z.array(z.string().min(1)).min(2),
    thresholds: z.array(Probability).min(1),
  }),
  /**
   * Run `model` and `partner` together; accept `model`'s answer when their final answers agree and
   * its QE score is at least `threshold` (0: agreement alone), else escalate to `escalateTo`.
   */
  z.object({
    action: z.literal('agree'),
    model: z.string().min(1),
    partner: z.string().min(1),
    threshold: Probability,
    escalateTo: z.string().min(1),
  }),
]);
export type ClusterPlan = z.infer<typeof ClusterPlanSchema>;

/** Limits that hold whatever the plan says. */
export const CascadeCapsSchema = z.object({
  /** Escalations per query at most. */
  maxEscalations: z.number().int().nonnegative(),
  /** Stop escalating once a query has spent this many tokens (prompt + output, all passes); null: no cap. */
  maxTotalTokens: z.number().int().positive().nullable(),
});
export type CascadeCaps = z.infer<typeof CascadeCapsSchema>;

/** The `cascade` section of a tuned config: what stage 2 needs besides the plans (which live in the regions). */
export const CascadeConfigSchema = z.object({
  /** The built-in learned QE, fitted on all of train; the regions' thresholds were chosen on its cross-fitted scores. */
  qe: QeModelSchema,
  /** Which QE back end serving uses; only the learned QE's scores match the thresholds. */
  qeBackend: z.literal('learned'),
  /** QE quality of the out-of-fold scores over every train answer (never the test split). */
  qeQuality: z.object({
    auroc: z.number(),
    ece: z.number(),
    answers: z.number().int().nonnegative(),
    calibration: z.enum(['isotonic', 'platt']),
  }),
  /** Pool models in Pareto order on train (cheaper first, each more accurate than the one before). */
  ladder: z.array(z.string().min(1)).min(1),
  /** Per cluster: the answer kind agreement compares under (numeric, choice, text). */
  answerKinds: z.array(z.enum(['numeric', 'choice', 'text'])),
  caps: CascadeCapsSchema,
  /** The FrugalGPT-style cascade (the same for every cluster), kept so `eval` can report the comparison. */
  frugal: ClusterPlanSchema,
});
export type CascadeConfig = z.infer<typeof CascadeConfigSchema>;

/** Cross-field checks of a cascade section: one answer kind per cluster. Returns the problem as text, or null. */
export function cascadeProblem(cascade: CascadeConfig, clusters: number): string | null {
  if (cascade.answerKinds.length !== clusters) return `field "cascade.answerKinds": ${cascade.answerKinds.length} entries for ${clusters} clusters`;
  return null;
}

/** Checks one region's plans: one per cluster, every model known, thresholds matching rungs. Returns the problem's path suffix and text, or null. */
export function plansProblem(plans: readonly ClusterPlan[], clusters: number, known: ReadonlySet<string>): string | null {
  if (plans.length !== clusters) return `": ${plans.length} plans for ${clusters} clusters`;
  for (const [i, plan] of plans.entries()) {
    const unknown = planModels(plan).find((m) => !known.has(m));
    if (unknown) return `[${i}]": model "${unknown}" is not in the pool`;
    if (plan.action === 'cascade' && plan.thresholds.length !== plan.rungs.length - 1) return `[${i}].thresholds": ${plan.thresholds.length} thresholds for ${plan.rungs.length} rungs`;
  }
  return null;
}

/** A plan in words. */
export function describePlan(plan: ClusterPlan): string {
  switch (plan.action) {
    case 'answer':
      return `answer with ${plan.model}`;
    case 'cascade':
      return plan.rungs.map((m, i) => (i < plan.thresholds.length ? `${m} (keep if QE ≥ ${plan.thresholds[i].toFixed(3)})` : m)).join(' → ');
    case 'agree':
      return `${plan.model} + ${plan.partner}, keep if they agree${plan.threshold > 0 ? ` and QE ≥ ${plan.threshold.toFixed(3)}` : ''}, else ${plan.escalateTo}`;
  }
}

/**
 * The QE threshold a plan holds the answer of `step` to, or null where it has none (an agreement plan
 * with threshold 0 keeps any agreed answer: no score is read): the one place thresholds are read.
 */
export function qeThreshold(plan: ClusterPlan, step: number): number | null {
  if (plan.action === 'cascade') return step < plan.rungs.length - 1 ? plan.thresholds[Math.min(step, plan.thresholds.length - 1)] : null;
  if (plan.action === 'agree') return step === 0 && plan.threshold > 0 ? plan.threshold : null;
  return null;
}

/** The QE threshold a plan holds its first answer to, or null where it has none. */
export function firstQeThreshold(plan: ClusterPlan): number | null {
  return qeThreshold(plan, 0);
}

/**
 * The plans with the first QE threshold set by hand, for every plan that starts on `model` (or
 * for all); `changed` counts the plans it rewrote.
 */
export function withQeThreshold(plans: readonly ClusterPlan[], threshold: number, model?: string): { plans: ClusterPlan[]; changed: number } {
  let changed = 0;
  const out = plans.map((plan): ClusterPlan => {
    if (model !== undefined && planModels(plan)[0] !== model) return plan;
    if (plan.action === 'cascade') {
      changed++;
      return { ...plan, thresholds: [threshold, ...plan.thresholds.slice(1)] };
    }
    if (plan.action === 'agree') {
      changed++;
      return { ...plan, threshold };
    }
    return plan;
  });
  return { plans: out, changed };
}

/** The models one plan may call, in the order it may call them. */
export function planModels(plan: ClusterPlan): string[] {
  switch (plan.action) {
    case 'answer':
      return [plan.model];
    case 'cascade':
      return [...plan.rungs];
    case 'agree':
      return [plan.model, plan.partner, plan.escalateTo];
  }
}

/** The models to call first for a query of this plan (agreement runs its two cheap passes together). */
export function firstModels(plan: ClusterPlan): string[] {
  switch (plan.action) {
    case 'answer':
      return [plan.model];
    case 'cascade':
      return [plan.rungs[0]];
    case 'agree':
      return [plan.model, plan.partner];
  }
}

/** What is known after a pass: used by `decide`. */
export interface PassEvidence {
  /** Which step just ran: 0 for the first pass (or pair), 1 for the first escalation, … */
  step: number;
  /** Calibrated QE score of the answer the step produced; required where the plan thresholds on it. */
  qe?: number;
  /** Agree plans, step 0: whether the two final answers agree. */
  agree?: boolean;
  /** Tokens (prompt + output) spent by this query so far, all passes. */
  tokensSoFar: number;
}

export type Decision =
  | { kind: 'accept'; reason: 'final' | 'confident' | 'agreed' | 'cap' }
  | { kind: 'escalate'; model: string; reason: 'doubtful' | 'disagreed' };

function capped(caps: CascadeCaps, step: number, tokensSoFar: number): boolean {
  return step >= caps.maxEscalations || (caps.maxTotalTokens !== null && tokensSoFar >= caps.maxTotalTokens);
}

function needScore(qe: number | undefined, where: string): number {
  if (qe === undefined || !(qe >= 0 && qe <= 1)) throw new InvalidInputError(`a QE score in [0, 1] is required, got ${qe}`, where);
  return qe;
}

/**
 * The request-time decision after a pass: keep the answer or escalate, and to which model.
 * Pure: the same evidence always gives the same decision, and the simulation uses it too.
 */
export function decide(plan: ClusterPlan, caps: CascadeCaps, evidence: PassEvidence): Decision {
  const { step } = evidence;
  switch (plan.action) {
    case 'answer':
      return { kind: 'accept', reason: 'final' };
    case 'cascade': {
      const threshold = qeThreshold(plan, step);
      if (threshold === null) return { kind: 'accept', reason: 'final' };
      if (needScore(evidence.qe, `cascade step ${step}`) >= threshold) return { kind: 'accept', reason: 'confident' };
      if (capped(caps, step, evidence.tokensSoFar)) return { kind: 'accept', reason: 'cap' };
      return { kind: 'escalate', model: plan.rungs[step + 1], reason: 'doubtful' };
    }
    case 'agree': {
      if (step >= 1) return { kind: 'accept', reason: 'final' };
      if (evidence.agree === undefined) throw new InvalidInputError('whether the two answers agree is required', 'agree step 0');
      if (evidence.agree && (plan.threshold === 0 || needScore(evidence.qe, 'agree step 0') >= plan.threshold)) return { kind: 'accept', reason: 'agreed' };
      if (capped(caps, step, evidence.tokensSoFar)) return { kind: 'accept', reason: 'cap' };
      return { kind: 'escalate', model: plan.escalateTo, reason: evidence.agree ? 'doubtful' : 'disagreed' };
    }
  }
}
