/*
 * The one λ sweep. Every cluster has options (plans) with an accuracy and a cost; "error + λ·cost/scale"
 * picks, for each λ ≥ 0, a point of the cluster's upper concave hull in (cost, accuracy). Walking every
 * cluster's hull steps in order of λ gives the exact breakpoints where any cluster's choice changes:
 * the frontier's regions. Single-model routes and stage-2 plans compete in the same list, so one λ
 * means one thing everywhere: the price of one unit of normalised cost in accuracy.
 */

/** A point the sweep steps through. */
export interface CostAccuracyPoint {
  accuracy: number;
  cost: number;
}

/** What the hull needs of an option. */
export interface HullPoint extends CostAccuracyPoint {
  /** Tie-break among equal points: fewer escalations first. */
  escalationRate: number;
}

/** The upper concave hull in (cost, accuracy), cheapest first; each step buys accuracy at a falling rate. */
export function concaveHull<T extends HullPoint>(options: readonly T[]): T[] {
  const sorted = options
    .filter((o) => Number.isFinite(o.accuracy) && Number.isFinite(o.cost))
    .sort((a, b) => a.cost - b.cost || b.accuracy - a.accuracy || a.escalationRate - b.escalationRate);
  const pareto: T[] = [];
  for (const o of sorted) if (pareto.length === 0 || o.accuracy > pareto[pareto.length - 1].accuracy + 1e-12) pareto.push(o);
  const hull: T[] = [];
  for (const o of pareto) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2];
      const b = hull[hull.length - 1];
      // b on or below the chord a→o is never optimal for any λ.
      if ((b.accuracy - a.accuracy) * (o.cost - a.cost) <= (o.accuracy - a.accuracy) * (b.cost - a.cost)) hull.pop();
      else break;
    }
    hull.push(o);
  }
  return hull;
}

/** λ below which hull step j (from point j-1 to j) is worth taking: accuracy gained per unit of normalised cost. */
export function stepLambda(hull: readonly CostAccuracyPoint[], j: number, costScale: number): number {
  const dCost = (hull[j].cost - hull[j - 1].cost) / costScale;
  return dCost > 0 ? (hull[j].accuracy - hull[j - 1].accuracy) / dCost : Number.POSITIVE_INFINITY;
}

/** The hull point that minimises error + λ·cost/scale (at a breakpoint the cheaper point wins). */
export function choiceAt(hull: readonly CostAccuracyPoint[], lambda: number, costScale: number): number {
  let j = 0;
  while (j + 1 < hull.length && stepLambda(hull, j + 1, costScale) > lambda) j++;
  return j;
}

/** One region of the frontier: for λ in [lambdaFrom, lambdaTo) every cluster keeps the same hull point. */
export interface HullRegion {
  lambdaFrom: number;
  /** null: unbounded. */
  lambdaTo: number | null;
  /** Index into each cluster's hull. */
  choice: number[];
}

/**
 * Every region of the merged sweep in increasing λ (so accuracy and cost both fall along the list):
 * the union of all clusters' breakpoints.
 */
export function frontierRegions(hulls: readonly (readonly CostAccuracyPoint[])[], costScale: number): HullRegion[] {
  if (!(costScale > 0)) throw new RangeError(`cost scale must be > 0, got ${costScale}`);
  const breaks = new Set<number>([0]);
  hulls.forEach((h) => {
    for (let j = 1; j < h.length; j++) {
      const l = stepLambda(h, j, costScale);
      if (Number.isFinite(l)) breaks.add(l);
    }
  });
  const sorted = [...breaks].sort((a, b) => a - b);
  return sorted.map((from, i) => ({
    lambdaFrom: from,
    lambdaTo: i + 1 < sorted.length ? sorted[i + 1] : null,
    choice: hulls.map((h) => choiceAt(h, from, costScale)),
  }));
}

/** A λ inside a region, away from its edges, where the region's choice is the same for any data that moved the edges a little. */
export function interiorLambda(from: number, to: number | null): number {
  // At `from` itself the region's choice holds too (a breakpoint goes to the cheaper side); past it, as long as λ stays finite.
  if (to === null) return from > 0 ? (Number.isFinite(2 * from) ? 2 * from : from) : 1;
  if (from === 0) return to / 2;
  return Math.sqrt(from) * Math.sqrt(to);
}
