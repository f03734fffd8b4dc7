import type { GlobalModelStats, ModelClusterStats } from '../stats.js';
import { concaveHull, frontierRegions } from './hull.js';

/**
 * Pareto pruning within one cluster: a model is dominated when another is no worse on both error and
 * cost and strictly better on one. The routing table marks such models as never routed to.
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

/** The frontier restricted to one model per cluster, from a routing table alone (no QE, no cross-fitting). */
export interface SingleModelRoutes {
  /** Per cluster and model: not Pareto-dominated. */
  eligible: boolean[][];
  /** Per region in increasing λ: the model (table column) of each cluster. */
  regions: number[][];
}

/**
 * The one λ sweep (hull.ts) over single-model options: what choosing k scores, and what the k = 1
 * baseline uses, where nothing but the shrunk per-cluster rates is at hand.
 */
export function singleModelRoutes(stats: { global: GlobalModelStats[]; clusters: ModelClusterStats[][] }, costScale: number): SingleModelRoutes {
  const eligible = stats.clusters.map((row) => paretoEligible(row.map((s) => s.shrunkErrorRate), row.map((s) => s.meanCost), row.map((_, m) => stats.global[m].n > 0)));
  const hulls = stats.clusters.map((row, c) =>
    concaveHull(row.map((s, m) => ({ m, accuracy: 1 - s.shrunkErrorRate, cost: s.meanCost, escalationRate: 0 })).filter((o) => eligible[c][o.m])),
  );
  return { eligible, regions: frontierRegions(hulls, costScale).map((r) => r.choice.map((j, c) => hulls[c][j].m)) };
}
