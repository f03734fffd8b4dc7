import type { BudgetView } from '../app-api.js';
import { planModels } from '../cascade/plan.js';
import { expectedOf, firstModels, operatingPoint, regionFigures, type TunedState } from './tuned-state.js';

/** Every frontier region with its test figures, cross-fitted expectation and routing, for the budget slider. */
export function budgetView(t: TunedState): BudgetView {
  const regions = t.config.regions.map((r, i) => ({
    kind: r.kind, lambdaFrom: r.lambdaFrom, lambdaTo: r.lambdaTo, ...regionFigures(t, i), expected: expectedOf(t, i), routing: firstModels(t, i), planModels: r.plans.map(planModels),
  }));
  const frontier = regions.map((r) => ({ costPerQuery: r.costPerQuery, accuracy: r.accuracy, lambda: r.lambdaFrom })).sort((a, b) => a.costPerQuery - b.costPerQuery);
  const s = t.report.strongest;
  return { costUnit: t.config.cost.unit, regions, frontier, strongest: { model: s.model, accuracy: s.accuracy, costPerQuery: s.cost }, current: operatingPoint(t) };
}
