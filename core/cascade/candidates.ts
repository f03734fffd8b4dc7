import { answersAgree } from '../graders.js';
import type { AnswerKind } from '../extract.js';
import type { Workload } from '../workload.js';
import type { CascadeCaps, ClusterPlan } from './plan.js';
import type { CostComposition } from './simulate.js';

/** One plan a group of queries could use, with its figures on the group's selection queries. */
export interface Candidate {
  plan: ClusterPlan;
  accuracy: number;
  cost: number;
  escalationRate: number;
}

export interface CandidateOptions {
  /** Distinct thresholds tried per cascade rung at most (quantiles of the scores when there are more). Defaults to `24`. */
  thresholdsPerRung?: number;
  /** Cheapest models tried as the first pass or agreement partner. Defaults to `5`. */
  cheapModels?: number;
  /** Offer agree-or-escalate plans. Defaults to `true`. */
  agreement?: boolean;
}

export interface CandidateInput {
  w: Workload;
  /** The group's selection queries (workload rows). */
  rows: ArrayLike<number>;
  /** Models (workload indices) the group may use, cheapest first: its Pareto set. */
  models: readonly number[];
  cost: Float64Array;
  composition: CostComposition;
  score: (q: number, m: number) => number;
  kind: AnswerKind;
  caps: CascadeCaps;
  /**
   * Expected accuracy and mean cost of a model on this group, used for cells the log lacks
   * (a model added from a small probe). Such a model can be a target, never a first pass.
   */
  fallback: (m: number) => { accuracy: number; cost: number };
}

interface Column {
  y: Float64Array;
  c: Float64Array;
  tokens: Float64Array;
  /** True when the model answered every query of the group (it can then be a first pass). */
  complete: boolean;
  s?: Float64Array;
}

/** Distinct values of `s`, highest first, thinned to at most `limit` by quantile. */
function thresholdGrid(s: Float64Array, limit: number): number[] {
  const distinct = [...new Set(s)].sort((a, b) => b - a);
  if (distinct.length <= limit) return distinct;
  return Array.from({ length: limit }, (_, i) => distinct[Math.round((i * (distinct.length - 1)) / (limit - 1))]);
}

/**
 * Every plan worth considering for one group of queries, with its accuracy and cost on the
 * group's selection queries: answer with one model; a two- or three-rung cascade up the group's
 * Pareto set at each candidate threshold; agree-or-escalate with two cheap models.
 */
export function candidatePlans(input: CandidateInput, options: CandidateOptions = {}): Candidate[] {
  const { w, rows, cost, caps } = input;
  const T = options.thresholdsPerRung ?? 24;
  const cheapN = options.cheapModels ?? 5;
  const M = w.models.length;
  const n = rows.length;
  if (n === 0) return [];
  const add = (a: number, b: number) => (input.composition === 'sum' ? a + b : Math.max(a, b));
  const columns = new Map<number, Column>();
  for (const m of input.models) {
    const fb = input.fallback(m);
    const col: Column = { y: new Float64Array(n), c: new Float64Array(n), tokens: new Float64Array(n), complete: true };
    for (let i = 0; i < n; i++) {
      const q = rows[i];
      const cell = q * M + m;
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
  const mean = (xs: Float64Array) => xs.reduce((s, x) => s + x, 0) / n;
  for (const m of input.models) {
    const col = columns.get(m)!;
    out.push({ plan: { action: 'answer', model: w.models[m] }, accuracy: mean(col.y), cost: mean(col.c), escalationRate: 0 });
  }
  const first = input.models.filter((m) => columns.get(m)!.complete).slice(0, cheapN);
  for (const a of first) {
    const A = columns.get(a)!;
    const sa = scores(a);
    const gridA = thresholdGrid(sa, T);
    for (const b of input.models) {
      if (b === a || input.models.indexOf(b) < input.models.indexOf(a)) continue;
      const B = columns.get(b)!;
      for (const t of gridA) {
        let acc = 0;
        let c = 0;
        let esc = 0;
        for (let i = 0; i < n; i++) {
          if (sa[i] >= t || !mayEscalate(A.tokens[i], 0)) {
            acc += A.y[i];
            c += A.c[i];
          } else {
            acc += B.y[i];
            c += A.c[i] + B.c[i];
            esc++;
          }
        }
        out.push({ plan: { action: 'cascade', rungs: [w.models[a], w.models[b]], thresholds: [t] }, accuracy: acc / n, cost: c / n, escalationRate: esc / n });
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
            let acc = 0;
            let c = 0;
            let esc = 0;
            for (let i = 0; i < n; i++) {
              if (sa[i] >= t1 || !mayEscalate(A.tokens[i], 0)) {
                acc += A.y[i];
                c += A.c[i];
                continue;
              }
              esc++;
              if (sb[i] >= t2 || !mayEscalate(A.tokens[i] + B.tokens[i], 1)) {
                acc += B.y[i];
                c += A.c[i] + B.c[i];
              } else {
                acc += C.y[i];
                c += A.c[i] + B.c[i] + C.c[i];
              }
            }
            out.push({ plan: { action: 'cascade', rungs: [w.models[a], w.models[b], w.models[top]], thresholds: [t1, t2] }, accuracy: acc / n, cost: c / n, escalationRate: esc / n });
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
          agree[i] = answersAgree(input.kind, w.responses[q * M + a]!.answer, w.responses[q * M + p]!.answer) ? 1 : 0;
        }
        const sa = scores(a);
        const grid = [0, ...thresholdGrid(sa, Math.ceil(T / 2))];
        for (const b of input.models) {
          if (b === a || b === p || input.models.indexOf(b) <= Math.max(input.models.indexOf(a), input.models.indexOf(p))) continue;
          const B = columns.get(b)!;
          for (const t of grid) {
            let acc = 0;
            let c = 0;
            let esc = 0;
            for (let i = 0; i < n; i++) {
              const pair = add(A.c[i], P.c[i]);
              if ((agree[i] && sa[i] >= t) || !mayEscalate(A.tokens[i] + P.tokens[i], 0)) {
                acc += A.y[i];
                c += pair;
              } else {
                acc += B.y[i];
                c += pair + B.c[i];
                esc++;
              }
            }
            out.push({ plan: { action: 'agree', model: w.models[a], partner: w.models[p], threshold: t, escalateTo: w.models[b] }, accuracy: acc / n, cost: c / n, escalationRate: esc / n });
          }
        }
      }
    }
  }
  return out;
}
