import { UnsatisfiableError } from '../errors.js';
import type { Candidate } from './candidates.js';

/*
 * Joint choice of one plan per group (cluster) for a retention target or a cost budget. Each
 * group's candidates are reduced to their upper concave hull in (cost, accuracy); walking all
 * groups' hull steps in order of accuracy gained per unit cost is exactly the λ sweep of
 * "error + λ·cost" (a step is taken once λ falls below its slope's inverse), so stage 1's
 * single-model plans and stage 2's cascades compete in one λ-ordered list.
 */

export interface Group {
  /** Share of the training queries in this group (cluster), the weight of its figures. */
  weight: number;
  /** Selection queries behind the figures (for the standard error). */
  n: number;
  /** Accuracy of the strongest model on the same selection queries. */
  strongestAccuracy: number;
  candidates: Candidate[];
}

export type SelectionCriterion =
  | { kind: 'targetRetention'; targetRetention: number; /** Standard errors of the estimate to keep in hand. */ margin: number }
  | { kind: 'budget'; budget: number };

export interface Selection {
  /** Chosen candidate per group. */
  chosen: Candidate[];
  accuracy: number;
  cost: number;
  retention: number;
  escalationRate: number;
  /** Retention margin actually required (in retention units). */
  marginUsed: number;
  /** False when no plan meets the target (the most accurate one is returned) or the budget (the cheapest one). */
  met: boolean;
  /** The λ at which the chosen plans are optimal, in accuracy per unit of cost (∞ for the cheapest). */
  lambda: number;
}

/** The upper concave hull in (cost, accuracy), cheapest first; ties keep the fewer escalations. */
export function concaveHull(candidates: readonly Candidate[]): Candidate[] {
  const sorted = [...candidates].sort((a, b) => a.cost - b.cost || b.accuracy - a.accuracy || a.escalationRate - b.escalationRate);
  const pareto: Candidate[] = [];
  for (const c of sorted) if (pareto.length === 0 || c.accuracy > pareto[pareto.length - 1].accuracy + 1e-12) pareto.push(c);
  const hull: Candidate[] = [];
  for (const c of pareto) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2];
      const b = hull[hull.length - 1];
      // b lies on or below the chord a→c: never optimal for any λ.
      if ((b.accuracy - a.accuracy) * (c.cost - a.cost) <= (c.accuracy - a.accuracy) * (b.cost - a.cost)) hull.pop();
      else break;
    }
    hull.push(c);
  }
  return hull;
}

function summarise(groups: readonly Group[], chosen: Candidate[]) {
  let acc = 0;
  let cost = 0;
  let esc = 0;
  let strong = 0;
  let variance = 0;
  groups.forEach((g, i) => {
    const c = chosen[i];
    acc += g.weight * c.accuracy;
    cost += g.weight * c.cost;
    esc += g.weight * c.escalationRate;
    strong += g.weight * g.strongestAccuracy;
    variance += (g.weight ** 2 * c.accuracy * (1 - c.accuracy)) / Math.max(1, g.n);
  });
  return { accuracy: acc, cost, escalationRate: esc, retention: acc / strong, se: Math.sqrt(variance) / strong };
}

/** Chooses one candidate per group for the criterion (see the module comment). */
export function selectPlans(groups: readonly Group[], criterion: SelectionCriterion): Selection {
  if (groups.length === 0) throw new UnsatisfiableError('no clusters to plan for');
  const hulls = groups.map((g, i) => {
    const h = concaveHull(g.candidates);
    if (h.length === 0) throw new UnsatisfiableError(`cluster ${i} has no candidate plan (no model answered its selection queries)`);
    return h;
  });
  const steps: { group: number; to: number; slope: number }[] = [];
  hulls.forEach((h, gi) => {
    for (let j = 1; j < h.length; j++) {
      const dCost = h[j].cost - h[j - 1].cost;
      steps.push({ group: gi, to: j, slope: dCost > 0 ? (h[j].accuracy - h[j - 1].accuracy) / dCost : Number.POSITIVE_INFINITY });
    }
  });
  // Concavity keeps each group's steps in order under this sort; ties break by group for determinism.
  steps.sort((a, b) => b.slope - a.slope || a.group - b.group || a.to - b.to);
  const at = hulls.map(() => 0);
  const state = () => hulls.map((h, i) => h[at[i]]);
  let lambda = Number.POSITIVE_INFINITY;
  const done = (s: ReturnType<typeof summarise>) =>
    criterion.kind === 'targetRetention' ? s.retention - criterion.margin * s.se >= criterion.targetRetention : false;
  let current = summarise(groups, state());
  if (criterion.kind === 'budget' && current.cost > criterion.budget) {
    return { chosen: state(), ...current, marginUsed: 0, met: false, lambda };
  }
  let met = done(current);
  for (const step of steps) {
    if (met) break;
    // A step skipped for the budget leaves its group's later steps unreachable.
    if (at[step.group] !== step.to - 1) continue;
    at[step.group] = step.to;
    const next = summarise(groups, state());
    if (criterion.kind === 'budget' && next.cost > criterion.budget) {
      at[step.group] = step.to - 1;
      // Later steps are steeper per unit cost but may be cheaper: keep scanning for ones that fit.
      continue;
    }
    current = next;
    lambda = step.slope;
    met = done(current);
  }
  if (criterion.kind === 'budget') met = current.cost <= criterion.budget;
  const { se, ...figures } = current;
  return { chosen: state(), ...figures, marginUsed: criterion.kind === 'targetRetention' ? criterion.margin * se : 0, met, lambda };
}
