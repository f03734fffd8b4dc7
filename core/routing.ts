import { InvalidInputError, UnsatisfiableError } from './errors.js';

/**
 * One λ region: for every λ in [lambdaFrom, lambdaTo) the per-cluster argmin of
 * error + λ·cost_norm is the same route. `lambdaTo` is null for the last, unbounded region.
 */
export interface LambdaRegion {
  lambdaFrom: number;
  lambdaTo: number | null;
  /** Model index (into the pool) per cluster. */
  route: number[];
  /** Query-weighted expected accuracy on train, from the shrunk per-cluster error rates. */
  expectedAccuracy: number;
  /** Query-weighted expected cost per query on train, in the cost metric's units. */
  expectedCost: number;
}

/** What the routing needs of each cluster: shrunk error and mean cost per model, and the cluster's weight. */
export interface RoutingInput {
  /** errorRate[c][m]: shrunk error rate of model m on cluster c. */
  errorRate: number[][];
  /** cost[c][m]: mean cost per query, in the metric's units. */
  cost: number[][];
  /** Share of train queries in each cluster (sums to 1). */
  weight: number[];
  /** Divides costs so λ is unitless (see normaliseCost). */
  costScale: number;
  /** Models allowed per cluster (false: pruned as Pareto-dominated or unanswered). Defaults to all. */
  eligible?: boolean[][];
}

/**
 * Pareto pruning within one cluster: a model is dominated when another is no worse on both
 * error and cost and strictly better on one. Dominated models can never be the best trade-off.
 */
export function paretoEligible(errorRate: number[], cost: number[], usable: boolean[] = errorRate.map(() => true)): boolean[] {
  return errorRate.map((e, m) => {
    if (!usable[m]) return false;
    for (let o = 0; o < errorRate.length; o++) {
      if (o === m || !usable[o]) continue;
      if (errorRate[o] <= e && cost[o] <= cost[m] && (errorRate[o] < e || cost[o] < cost[m])) return false;
    }
    return true;
  });
}

/** One cluster's lower envelope: the model that wins from `from` (inclusive) to the next segment's start. */
interface Segment {
  from: number;
  model: number;
}

/**
 * The lower envelope of the lines e_m + λ·c_m over λ ≥ 0 (an exact walk, not a grid).
 * Ties go to the cheaper model, so at a breakpoint the cheaper model already wins.
 */
export function lowerEnvelope(errorRate: number[], costNorm: number[], eligible: boolean[]): Segment[] {
  const cands = errorRate.map((_, m) => m).filter((m) => eligible[m]);
  if (cands.length === 0) throw new UnsatisfiableError('no model in the pool has an answer for this cluster');
  const better = (a: number, b: number) =>
    errorRate[a] < errorRate[b] || (errorRate[a] === errorRate[b] && (costNorm[a] < costNorm[b] || (costNorm[a] === costNorm[b] && a < b)));
  let cur = cands.reduce((best, m) => (better(m, best) ? m : best));
  let lambda = 0;
  const segments: Segment[] = [{ from: 0, model: cur }];
  // Each step moves to a strictly cheaper model, so the walk ends after at most M steps.
  for (;;) {
    let next = -1;
    let at = Infinity;
    for (const m of cands) {
      if (costNorm[m] >= costNorm[cur]) continue;
      const l = Math.max(lambda, (errorRate[m] - errorRate[cur]) / (costNorm[cur] - costNorm[m]));
      if (l < at || (l === at && costNorm[m] < costNorm[next])) {
        at = l;
        next = m;
      }
    }
    if (next < 0) break;
    lambda = at;
    cur = next;
    if (segments[segments.length - 1].from === lambda) segments[segments.length - 1].model = cur;
    else segments.push({ from: lambda, model: cur });
  }
  return segments;
}

/**
 * All λ regions of a clustering: per-cluster envelopes merged at the union of their breakpoints.
 * Regions come in increasing λ, so accuracy and cost both fall along the list.
 */
export function lambdaRegions(input: RoutingInput): LambdaRegion[] {
  const K = input.errorRate.length;
  if (K === 0) throw new InvalidInputError('no clusters to route');
  if (!(input.costScale > 0)) throw new InvalidInputError(`cost scale must be > 0, got ${input.costScale}`);
  const envelopes = input.errorRate.map((err, c) => {
    const norm = input.cost[c].map((x) => x / input.costScale);
    const usable = input.eligible?.[c] ?? err.map((e) => Number.isFinite(e));
    return lowerEnvelope(err, norm, usable);
  });
  const breaks = [...new Set(envelopes.flatMap((segs) => segs.map((s) => s.from)))].sort((a, b) => a - b);
  const pos = new Array<number>(K).fill(0);
  return breaks.map((from, i) => {
    const route = envelopes.map((segs, c) => {
      while (pos[c] + 1 < segs.length && segs[pos[c] + 1].from <= from) pos[c]++;
      return segs[pos[c]].model;
    });
    let acc = 0;
    let cost = 0;
    route.forEach((m, c) => {
      acc += input.weight[c] * (1 - input.errorRate[c][m]);
      cost += input.weight[c] * input.cost[c][m];
    });
    return { lambdaFrom: from, lambdaTo: i + 1 < breaks.length ? breaks[i + 1] : null, route, expectedAccuracy: acc, expectedCost: cost };
  });
}

/** How to choose an operating point among the λ regions. */
export type OperatingCriterion =
  | { kind: 'budget'; budget: number }
  | { kind: 'targetRetention'; targetRetention: number }
  | { kind: 'lambda'; lambda: number };

const SLACK = 1e-12;

/**
 * The most accurate region whose expected cost fits the budget (ties: the cheaper one).
 * Infeasible budgets raise an UnsatisfiableError naming the cheapest reachable cost.
 */
export function pickByBudget(regions: readonly LambdaRegion[], budget: number, unit = ''): number {
  if (!Number.isFinite(budget) || budget < 0) throw new InvalidInputError(`budget must be a number ≥ 0, got ${budget}`, '--budget');
  let best = -1;
  regions.forEach((r, i) => {
    if (r.expectedCost > budget * (1 + SLACK) + SLACK) return;
    const b = regions[best];
    if (best < 0 || r.expectedAccuracy > b.expectedAccuracy || (r.expectedAccuracy === b.expectedAccuracy && r.expectedCost < b.expectedCost)) best = i;
  });
  if (best < 0) {
    const cheapest = Math.min(...regions.map((r) => r.expectedCost));
    throw new UnsatisfiableError(`budget ${budget}${unit && ' ' + unit} per query is below the cheapest reachable cost ${cheapest}${unit && ' ' + unit}`, '--budget');
  }
  return best;
}

/**
 * The cheapest region whose expected accuracy ÷ the strongest model's is at least `target`.
 * An unreachable target raises an UnsatisfiableError naming the best reachable retention.
 */
export function pickByRetention(regions: readonly LambdaRegion[], target: number, strongestAccuracy: number): number {
  if (!(target > 0 && target <= 2)) throw new InvalidInputError(`target retention must be in (0, 2], got ${target}`, '--target-retention');
  let best = -1;
  regions.forEach((r, i) => {
    if (r.expectedAccuracy / strongestAccuracy < target - SLACK) return;
    if (best < 0 || r.expectedCost < regions[best].expectedCost) best = i;
  });
  if (best < 0) {
    const top = regions.reduce((a, r) => (r.expectedAccuracy > a.expectedAccuracy ? r : a));
    throw new UnsatisfiableError(
      `target retention ${target} is out of reach: the best route keeps ${(top.expectedAccuracy / strongestAccuracy).toFixed(4)} at cost ${top.expectedCost}`,
      '--target-retention',
    );
  }
  return best;
}

/** The region containing λ (binary search over the sorted breakpoints). */
export function pickByLambda(regions: readonly LambdaRegion[], lambda: number): number {
  if (!(lambda >= 0)) throw new InvalidInputError(`λ must be ≥ 0, got ${lambda}`, 'lambda');
  let lo = 0;
  let hi = regions.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (regions[mid].lambdaFrom <= lambda) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Picks the operating region for a criterion; `strongestAccuracy` is needed for a retention target. */
export function pickOperatingPoint(regions: readonly LambdaRegion[], criterion: OperatingCriterion, strongestAccuracy: number, unit = ''): number {
  switch (criterion.kind) {
    case 'budget':
      return pickByBudget(regions, criterion.budget, unit);
    case 'targetRetention':
      return pickByRetention(regions, criterion.targetRetention, strongestAccuracy);
    case 'lambda':
      return pickByLambda(regions, criterion.lambda);
  }
}
