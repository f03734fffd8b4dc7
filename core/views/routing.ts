import type { CandidateView, ClusterMap, RoutingTable } from '../app-api.js';
import { describePlan, planModels, type ClusterPlan } from '../cascade/plan.js';
import type { ProjectionAxis } from '../lda-projection.js';
import { taskCounts } from '../tasks.js';
import { kCurve } from './tune-report.js';
import { finiteOrNull, firstModels, type TunedState } from './tuned-state.js';

const TEXT_PREVIEW = 280;

/** A cluster's compared plans as the routing table shows them, and which one the served region serves. */
function candidatesView(t: TunedState, cluster: number, served: ClusterPlan): RoutingTable['clusters'][number]['candidates'] {
  const summary = t.candidates?.[cluster];
  if (!summary) return null;
  const shown: CandidateView[] = summary.shown.map((c) => ({
    plan: describePlan(c.plan), kind: c.plan.action, models: planModels(c.plan), accuracy: c.accuracy, accuracySe: finiteOrNull(c.accuracySe),
    cost: c.cost, costSe: finiteOrNull(c.costSe), escalationRate: c.escalationRate, onHull: c.onHull,
  }));
  const key = JSON.stringify(served);
  const at = summary.shown.findIndex((c) => JSON.stringify(c.plan) === key);
  return { compared: summary.compared, shown, served: at < 0 ? null : at };
}

/** Each cluster's train tasks, per-model statistics and the served region's plan for it. */
export function routingTable(t: TunedState): RoutingTable {
  const plans = t.config.regions[t.region].plans;
  return {
    models: t.config.pool.map((p) => p.model),
    costUnit: t.config.cost.unit,
    clusters: t.config.clusters.map((c, i) => ({
      cluster: i,
      size: c.size,
      testSize: t.testRows.reduce((n, q) => n + (t.clusterOf[q] === i ? 1 : 0), 0),
      tasks: taskCounts(t.w.tasks, (q) => t.clusterOf[q] === i && !t.isTest[q]),
      cells: c.stats.map((s) => ({ error: s.shrunkErrorRate, cost: s.meanCost, dominated: !s.eligible })),
      chosen: planModels(plans[i])[0],
      plan: describePlan(plans[i]),
      planModels: planModels(plans[i]),
      candidates: candidatesView(t, i, plans[i]),
    })),
    lambda: t.lambda,
  };
}

const AXES: Record<'pca' | 'umap', [ProjectionAxis, ProjectionAxis]> = {
  pca: [
    { name: 'PC 1', meaning: 'first principal component of the query embeddings (the direction of largest variance); unit: embedding distance' },
    { name: 'PC 2', meaning: 'second principal component (largest variance across PC 1); unit: embedding distance' },
  ],
  umap: [
    { name: 'UMAP 1', meaning: 'UMAP layout (15 neighbours): near points have similar embeddings; distances between far groups and the axes carry no meaning' },
    { name: 'UMAP 2', meaning: 'UMAP layout: no unit' },
  ],
};

/** The cluster map's points, given a 2-D projection of every workload row (see core/projection.ts, core/lda-projection.ts) and its axes. */
export function clusterMap(t: TunedState, projection: ClusterMap['projection'], xy: ArrayLike<number>, axes: [ProjectionAxis, ProjectionAxis] = AXES[projection === 'umap' ? 'umap' : 'pca']): ClusterMap {
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
    axes,
  };
}
