import type { ClusterMap, RoutingTable } from '../app-api.js';
import { describePlan, planModels } from '../cascade/plan.js';
import { taskCounts } from '../tasks.js';
import { kCurve } from './tune-report.js';
import { firstModels, type TunedState } from './tuned-state.js';

const TEXT_PREVIEW = 280;

/** Each cluster's train tasks, per-model statistics and the served region's plan for it. */
export function routingTable(t: TunedState): RoutingTable {
  const plans = t.config.regions[t.region].plans;
  return {
    models: t.config.pool.map((p) => p.model),
    costUnit: t.config.cost.unit,
    clusters: t.config.clusters.map((c, i) => ({
      cluster: i,
      size: c.size,
      tasks: taskCounts(t.w.tasks, (q) => t.clusterOf[q] === i && !t.isTest[q]),
      cells: c.stats.map((s) => ({ error: s.shrunkErrorRate, cost: s.meanCost, dominated: !s.eligible })),
      chosen: planModels(plans[i])[0],
      plan: describePlan(plans[i]),
    })),
    lambda: t.lambda,
  };
}

/** The cluster map's points, given a 2-D projection of every workload row (see projection.ts). */
export function clusterMap(t: TunedState, projection: ClusterMap['projection'], xy: ArrayLike<number>): ClusterMap {
  const first = firstModels(t, t.region);
  return {
    projection,
    points: t.w.qids.map((qid, q) => ({
      qid,
      x: xy[2 * q],
      y: xy[2 * q + 1],
      cluster: t.clusterOf[q],
      split: t.isTest[q] ? ('test' as const) : ('train' as const),
      routedModel: first[t.clusterOf[q]],
      task: t.w.tasks[q],
      text: t.w.prompts[q].slice(0, TEXT_PREVIEW),
    })),
    kCurve: kCurve(t.config),
    k: t.config.clusters.length,
  };
}
