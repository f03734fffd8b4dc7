import { answersAgree } from '../graders.js';
import type { AnswerKind } from '../extract.js';
import { cellIndex, type Workload } from '../workload.js';
import type { CascadeCaps, ClusterPlan } from './plan.js';
import type { CostComposition } from './simulate.js';

/**
 * One plan a cluster could use, with its outcomes summed per cross-fitting fold: `sums[3f]` right
 * answers, `sums[3f+1]` cost, `sums[3f+2]` escalated queries, over the cluster's queries in fold f.
 * Any subset of folds then gives the plan's figures on those queries without simulating again.
 */
export interface Candidate {
  plan: ClusterPlan;
  /** Workload indices of every model the plan may call. */
  models: number[];
  sums: Float64Array;
}

export interface CandidateOptions {
  /** Distinct thresholds tried per cascade rung at most (quantiles of the scores when there are more). Defaults to `24`. */
  thresholdsPerRung?: number;
  /** Cheapest models tried as the first pass or agreement partner. Defaults to `5`. */
  cheapModels?: number;
  /** Offer agree-or-escalate plans. Defaults to `true`. */
  agreement?: boolean;
  /** Offer plans with more than one model at all (false: stage 1 alone). Defaults to `true`. */
  stage2?: boolean;
}

export interface CandidateInput {
  w: Workload;
  /** The cluster's training queries (workload rows). */
  rows: ArrayLike<number>;
  /** Cross-fitting fold of each of `rows`, in [0, folds). */
  fold: ArrayLike<number>;
  folds: number;
  /** Models (workload indices) the cluster may use, cheapest first. */
  models: readonly number[];
  cost: Float64Array;
  composition: CostComposition;
  /** Out-of-fold QE score of an answered cell; only called for plans with more than one model. */
  score: (q: number, m: number) => number;
  kind: AnswerKind;
  caps: CascadeCaps;
  /**
   * Expected accuracy and mean cost of a model on this cluster, used for cells the log lacks
   * (a model added from a small probe). Such a model can be a target, never a first pass.
   */
  fallback: (m: number) => { accuracy: number; cost: number };
}

interface Column {
  y: Float64Array;
  c: Float64Array;
  tokens: Float64Array;
  /** True when the model answered every query of the cluster (it can then be a first pass). */
  complete: boolean;
  s?: Float64Array;
}

/** Distinct values of `s`, highest first, thinned to at most `limit` by quantile (labels are never read). */
function thresholdGrid(s: Float64Array, limit: number): number[] {
  const distinct = [...new Set(s)].sort((a, b) => b - a);
  if (distinct.length <= limit) return distinct;
  return Array.from({ length: limit }, (_, i) => distinct[Math.round((i * (distinct.length - 1)) / (limit - 1))]);
}

/**
 * Every plan worth considering for one cluster, with its outcomes per fold: answer with one model;
 * a two- or three-rung cascade up the given models at each candidate threshold; agree-or-escalate
 * with two cheap models.
 */
export function candidatePlans(input: CandidateInput, options: CandidateOptions = {}): Candidate[] {
  const { w, rows, cost, caps, fold, folds } = input;
  const T = options.thresholdsPerRung ?? 24;
  const cheapN = options.cheapModels ?? 5;
  const n = rows.length;
  if (n === 0) return [];
  const add = (a: number, b: number) => (input.composition === 'sum' ? a + b : Math.max(a, b));
  const columns = new Map<number, Column>();
  for (const m of input.models) {
    const fb = input.fallback(m);
    const col: Column = { y: new Float64Array(n), c: new Float64Array(n), tokens: new Float64Array(n), complete: true };
    for (let i = 0; i < n; i++) {
      const q = rows[i];
      const cell = cellIndex(w, q, m);
      if (w.correct[cell] === -1) {
        col.complete = false;
        col.y[i] = fb.accuracy;
        col.c[i] = fb.cost;
      } else {
        col.y[i] = w.correct[cell];
        col.c[i] = cost[cell];
        col.tokens[i] = (Number.isFinite(w.promptTokens[q]) ? w.promptTokens[q] : 0) + (Number.isFinite(w.outputTokens[cell]) ? w.outputTokens[cell] : 0);
      }
    }
    columns.set(m, col);
  }
  const scores = (m: number): Float64Array => {
    const col = columns.get(m)!;
    col.s ??= Float64Array.from({ length: n }, (_, i) => input.score(rows[i], m));
    return col.s;
  };
  const mayEscalate = (tokens: number, step: number) => step < caps.maxEscalations && (caps.maxTotalTokens === null || tokens < caps.maxTotalTokens);
  const out: Candidate[] = [];
  /** Sums one plan's outcomes per fold; `outcome(i)` writes right, cost and escalated of row i into `o`. */
  const collect = (plan: ClusterPlan, models: number[], outcome: (i: number, o: Float64Array) => void) => {
    const sums = new Float64Array(3 * folds);
    const o = new Float64Array(3);
    for (let i = 0; i < n; i++) {
      outcome(i, o);
      const f = 3 * fold[i];
      sums[f] += o[0];
      sums[f + 1] += o[1];
      sums[f + 2] += o[2];
    }
    out.push({ plan, models, sums });
  };
  for (const m of input.models) {
    const col = columns.get(m)!;
    collect({ action: 'answer', model: w.models[m] }, [m], (i, o) => {
      o[0] = col.y[i];
      o[1] = col.c[i];
      o[2] = 0;
    });
  }
  if (options.stage2 === false) return out;
  const first = input.models.filter((m) => columns.get(m)!.complete).slice(0, cheapN);
  for (const a of first) {
    const A = columns.get(a)!;
    const sa = scores(a);
    const gridA = thresholdGrid(sa, T);
    for (const b of input.models) {
      if (b === a || input.models.indexOf(b) < input.models.indexOf(a)) continue;
      const B = columns.get(b)!;
      for (const t of gridA) {
        collect({ action: 'cascade', rungs: [w.models[a], w.models[b]], thresholds: [t] }, [a, b], (i, o) => {
          const keep = sa[i] >= t || !mayEscalate(A.tokens[i], 0);
          o[0] = keep ? A.y[i] : B.y[i];
          o[1] = keep ? A.c[i] : A.c[i] + B.c[i];
          o[2] = keep ? 0 : 1;
        });
      }
      // Three rungs: a → b → top, where b is itself a complete, cheaper-than-top model.
      if (caps.maxEscalations < 2 || !B.complete) continue;
      const sb = scores(b);
      const gridA3 = thresholdGrid(sa, Math.ceil(T / 2));
      const gridB3 = thresholdGrid(sb, Math.ceil(T / 2));
      for (const top of input.models) {
        if (input.models.indexOf(top) <= input.models.indexOf(b)) continue;
        const C = columns.get(top)!;
        for (const t1 of gridA3) {
          for (const t2 of gridB3) {
            collect({ action: 'cascade', rungs: [w.models[a], w.models[b], w.models[top]], thresholds: [t1, t2] }, [a, b, top], (i, o) => {
              if (sa[i] >= t1 || !mayEscalate(A.tokens[i], 0)) {
                o[0] = A.y[i];
                o[1] = A.c[i];
                o[2] = 0;
                return;
              }
              o[2] = 1;
              if (sb[i] >= t2 || !mayEscalate(A.tokens[i] + B.tokens[i], 1)) {
                o[0] = B.y[i];
                o[1] = A.c[i] + B.c[i];
              } else {
                o[0] = C.y[i];
                o[1] = A.c[i] + B.c[i] + C.c[i];
              }
            });
          }
        }
      }
    }
  }
  if (options.agreement ?? true) {
    for (let x = 0; x < first.length; x++) {
      for (let z = x + 1; z < first.length; z++) {
        // Keep the more accurate model's answer when the two agree: their answers mean the same.
        const [a, p] = columns.get(first[x])!.y.reduce((s, v) => s + v, 0) >= columns.get(first[z])!.y.reduce((s, v) => s + v, 0) ? [first[x], first[z]] : [first[z], first[x]];
        const A = columns.get(a)!;
        const P = columns.get(p)!;
        const agree = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          const q = rows[i];
          agree[i] = answersAgree(input.kind, w.responses[cellIndex(w, q, a)]!.answer, w.responses[cellIndex(w, q, p)]!.answer) ? 1 : 0;
        }
        const sa = scores(a);
        const grid = [0, ...thresholdGrid(sa, Math.ceil(T / 2))];
        for (const b of input.models) {
          if (b === a || b === p || input.models.indexOf(b) <= Math.max(input.models.indexOf(a), input.models.indexOf(p))) continue;
          const B = columns.get(b)!;
          for (const t of grid) {
            collect({ action: 'agree', model: w.models[a], partner: w.models[p], threshold: t, escalateTo: w.models[b] }, [a, p, b], (i, o) => {
              const pair = add(A.c[i], P.c[i]);
              const keep = (agree[i] && sa[i] >= t) || !mayEscalate(A.tokens[i] + P.tokens[i], 0);
              o[0] = keep ? A.y[i] : B.y[i];
              o[1] = keep ? pair : pair + B.c[i];
              o[2] = keep ? 0 : 1;
            });
          }
        }
      }
    }
  }
  return out;
}
