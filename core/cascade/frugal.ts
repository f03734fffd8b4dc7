import type { Workload } from '../workload.js';
import { candidatePlans } from './candidates.js';
import type { CascadeCaps, ClusterPlan } from './plan.js';
import { selectPlans, type Selection, type SelectionCriterion } from './select.js';
import { compositionOf } from './simulate.js';

export interface FrugalInput {
  w: Workload;
  /** Selection queries of the training split (the same ones the joint tuning used). */
  select: ArrayLike<number>;
  cost: Float64Array;
  metric: string;
  /** Pool models in Pareto order (the config's ladder), as workload indices. */
  ladder: readonly number[];
  score: (q: number, m: number) => number;
  caps: CascadeCaps;
  strongest: number;
}

/**
 * The FrugalGPT-style baseline: one cascade for every query, whatever its cluster, up the
 * Pareto-ordered pool with the same learned scorer, its rungs and thresholds chosen for the same
 * criterion on the same selection queries. No per-cluster plans and no agreement: what stage 1's
 * clusters and the plan options add is the gap between this and the joint tuning.
 */
export function frugalBaseline(input: FrugalInput, criterion: SelectionCriterion): { plan: ClusterPlan; selection: Selection } {
  const { w, select, cost } = input;
  const M = w.models.length;
  let n = 0;
  let right = 0;
  let spend = 0;
  const perModel = new Map<number, { n: number; right: number; spend: number }>();
  for (let i = 0; i < select.length; i++) {
    const q = select[i];
    for (const m of input.ladder) {
      const v = w.correct[q * M + m];
      if (v === -1) continue;
      const s = perModel.get(m) ?? { n: 0, right: 0, spend: 0 };
      s.n++;
      s.right += v;
      s.spend += cost[q * M + m];
      perModel.set(m, s);
    }
    const v = w.correct[q * M + input.strongest];
    if (v !== -1) {
      n++;
      right += v;
      spend += cost[q * M + input.strongest];
    }
  }
  const candidates = candidatePlans(
    {
      w, rows: select, models: input.ladder, cost, composition: compositionOf(input.metric), score: input.score, kind: 'text', caps: input.caps,
      fallback: (m) => {
        const s = perModel.get(m);
        return s && s.n ? { accuracy: s.right / s.n, cost: s.spend / s.n } : { accuracy: right / Math.max(1, n), cost: spend / Math.max(1, n) };
      },
    },
    { agreement: false },
  );
  const selection = selectPlans([{ weight: 1, n: select.length, strongestAccuracy: n ? right / n : 0, candidates }], criterion);
  return { plan: selection.chosen[0].plan, selection };
}
