import type { BudgetView } from '../../core/app-api.js';
import { pickByBudget, pickByLambda, type LambdaRegion } from '../../core/routing.js';

/**
 * The budget view's regions in the core's shape, built once per tune so each slider move is a
 * binary search. They carry the train expectations, as the engine's regions do, so the core's own
 * pick gives here the region `setOperatingPoint({ budget })` gives there.
 */
export function toLambdaRegions(view: BudgetView): LambdaRegion[] {
  return view.regions.map((r) => ({
    lambdaFrom: r.lambdaFrom,
    lambdaTo: r.lambdaTo,
    route: [],
    expectedAccuracy: r.expectedAccuracy,
    expectedCost: r.expectedCost,
  }));
}

/** The region a λ falls in. */
export function regionForLambda(regions: readonly LambdaRegion[], lambda: number): number {
  return pickByLambda(regions, Math.max(0, lambda));
}

/** The most accurate region within a cost-per-query budget; below the cheapest region, the cheapest. */
export function regionForBudget(regions: readonly LambdaRegion[], budget: number): number {
  const cheapest = regions.reduce((best, r, i) => (r.expectedCost < regions[best].expectedCost ? i : best), 0);
  if (budget < regions[cheapest].expectedCost) return cheapest;
  return pickByBudget(regions, budget);
}

/** What the budget panel shows for one region, read straight from the precomputed regions. */
export type LocalOperatingPoint = BudgetView['regions'][number] & { region: number };

export function localOperatingPoint(view: BudgetView, region: number): LocalOperatingPoint {
  return { ...view.regions[region], region };
}
