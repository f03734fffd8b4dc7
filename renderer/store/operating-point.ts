import type { BudgetView } from '../../core/app-api.js';
import { regionAtLambda, regionWithinBudget } from '../../core/frontier/operating-point.js';

/*
 * The slider's picks, made here with the core's own functions so each move is instant and gives the
 * region `setOperatingPoint` gives in the engine: a λ falls in one frontier region; a budget picks the
 * most accurate region whose cost bound fits it.
 */

/** The region a λ falls in. */
export function regionForLambda(view: BudgetView, lambda: number): number {
  return regionAtLambda(view.regions, Math.max(0, lambda));
}

/** The most accurate region whose cost bound fits a budget; below the cheapest region, the cheapest. */
export function regionForBudget(view: BudgetView, budget: number): number {
  const found = regionWithinBudget(view.regions.map((r) => ({ kind: r.kind, costBound: r.expected.costBound, accuracy: r.expected.accuracy })), budget);
  return found >= 0 ? found : view.regions.length - 1;
}
