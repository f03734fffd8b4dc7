import { mulberry32 } from './rng.js';

/** A point on the cost–accuracy plane. */
export interface CostAccuracy {
  cost: number;
  accuracy: number;
}

/** How one router (or baseline) did on a set of queries. */
export interface Metrics extends CostAccuracy {
  /** accuracy ÷ the strongest model's accuracy on the same queries. */
  retention: number;
  /** 1 − cost ÷ the strongest model's cost on the same queries. */
  costReduction: number;
}

/**
 * Totals of routing each query to one model. A query whose routed model has no answer
 * (correct = -1) is counted in `unanswered` and left out of both accuracy and cost: the log
 * cannot say whether it would have been right, so it is neither credited nor charged.
 */
export interface RoutedTotals extends CostAccuracy {
  answered: number;
  unanswered: number;
}

/** A view of the labelled cells of some queries: q × M, like Workload.correct. */
export interface LabelledCells {
  correct: Int8Array;
  cost: Float64Array;
  models: number;
}

export function routedTotals(cells: LabelledCells, choice: ArrayLike<number>): RoutedTotals {
  let right = 0;
  let cost = 0;
  let answered = 0;
  for (let q = 0; q < choice.length; q++) {
    const i = q * cells.models + choice[q];
    const v = cells.correct[i];
    if (v === -1) continue;
    answered++;
    right += v;
    cost += cells.cost[i];
  }
  return { accuracy: answered ? right / answered : 0, cost: answered ? cost / answered : 0, answered, unanswered: choice.length - answered };
}

export function relativeTo(point: CostAccuracy, strongest: CostAccuracy): Metrics {
  return {
    accuracy: point.accuracy,
    cost: point.cost,
    retention: strongest.accuracy > 0 ? point.accuracy / strongest.accuracy : 0,
    costReduction: strongest.cost > 0 ? 1 - point.cost / strongest.cost : 0,
  };
}

/** Every query to model m. */
export function singleChoice(queries: number, m: number): Int32Array {
  return new Int32Array(queries).fill(m);
}

/**
 * The per-query oracle: the cheapest model that answered correctly; where none did, the
 * cheapest answered model (the query is lost whatever is paid, so the oracle pays least).
 */
export function oracleChoice(cells: LabelledCells): Int32Array {
  const Q = cells.correct.length / cells.models;
  const out = new Int32Array(Q);
  for (let q = 0; q < Q; q++) {
    let bestRight = -1;
    let bestAny = 0;
    for (let m = 0; m < cells.models; m++) {
      const i = q * cells.models + m;
      if (cells.correct[i] === -1) continue;
      if (cells.correct[i] === 1 && (bestRight < 0 || cells.cost[i] < cells.cost[q * cells.models + bestRight])) bestRight = m;
      if (cells.correct[q * cells.models + bestAny] === -1 || cells.cost[i] < cells.cost[q * cells.models + bestAny]) bestAny = m;
    }
    out[q] = bestRight >= 0 ? bestRight : bestAny;
  }
  return out;
}

/**
 * Random routing between a cheap and a strong model (RouteLLM's random baseline): each query goes
 * to `strong` with probability p, chosen so the expected cost is `cost`. Returns the expected
 * point; outside the two models' cost range it is the nearer model itself.
 */
export function randomMix(cheap: CostAccuracy, strong: CostAccuracy, cost: number): CostAccuracy {
  if (strong.cost <= cheap.cost) return { ...strong };
  const p = Math.min(1, Math.max(0, (cost - cheap.cost) / (strong.cost - cheap.cost)));
  return { cost: cheap.cost + p * (strong.cost - cheap.cost), accuracy: cheap.accuracy + p * (strong.accuracy - cheap.accuracy) };
}

/**
 * RouterBench's non-decreasing convex hull: the upper convex hull of the points from the
 * cheapest one up to the most accurate one, the frontier reachable by mixing operating points.
 */
export function nonDecreasingHull(points: readonly CostAccuracy[]): CostAccuracy[] {
  const sorted = [...points].sort((a, b) => a.cost - b.cost || b.accuracy - a.accuracy);
  const hull: CostAccuracy[] = [];
  for (const p of sorted) {
    if (hull.length && p.accuracy <= hull[hull.length - 1].accuracy) continue;
    while (hull.length >= 2) {
      const a = hull[hull.length - 2];
      const b = hull[hull.length - 1];
      // Drop b when it lies on or below the segment a→p.
      if ((b.cost - a.cost) * (p.accuracy - a.accuracy) - (b.accuracy - a.accuracy) * (p.cost - a.cost) >= 0) hull.pop();
      else break;
    }
    hull.push(p);
  }
  return hull;
}

/** The hull's accuracy at a cost (linear between vertices, flat beyond its ends). */
export function hullAt(hull: readonly CostAccuracy[], cost: number): number {
  if (cost <= hull[0].cost) return hull[0].accuracy;
  for (let i = 1; i < hull.length; i++) {
    if (cost <= hull[i].cost) {
      const a = hull[i - 1];
      const b = hull[i];
      return a.accuracy + ((cost - a.cost) / (b.cost - a.cost)) * (b.accuracy - a.accuracy);
    }
  }
  return hull[hull.length - 1].accuracy;
}

/**
 * AIQ as RouterBench defines it: the mean of the router's non-decreasing convex hull over the
 * cost range [cMin, cMax], (1 / (cMax − cMin)) ∫ R̃(c) dc, integrated exactly (the hull is
 * piecewise linear). Outside its own points the hull is held flat, as numpy.interp does.
 */
export function aiq(points: readonly CostAccuracy[], cMin: number, cMax: number): number {
  const hull = nonDecreasingHull(points);
  if (!(cMax > cMin)) return hullAt(hull, cMin);
  const xs = [cMin, ...hull.map((p) => p.cost).filter((c) => c > cMin && c < cMax), cMax];
  let area = 0;
  for (let i = 1; i < xs.length; i++) area += ((hullAt(hull, xs[i - 1]) + hullAt(hull, xs[i])) / 2) * (xs[i] - xs[i - 1]);
  return area / (cMax - cMin);
}

export interface BootstrapOptions {
  /** Resamples. Defaults to `1000`. */
  samples?: number;
  /** Seed of the resampling. Defaults to `0`. */
  seed?: number;
  /** Two-sided confidence level. Defaults to `0.95`. */
  level?: number;
}

/** Percentile-bootstrap intervals of retention and cost reduction, resampling queries. */
export interface BootstrapCi {
  level: number;
  samples: number;
  retention: [number, number];
  costReduction: [number, number];
}

/** Per-query outcomes of one system: 1 right, 0 wrong, -1 unknown (skipped), and what it paid. */
export interface QueryOutcomes {
  correct: ArrayLike<number>;
  cost: ArrayLike<number>;
}

/**
 * Resamples evaluated queries with replacement; each resample recomputes the system's and the
 * strongest model's accuracy and cost on the same queries (unknown outcomes skipped as above).
 */
export function bootstrapCi(system: QueryOutcomes, strongest: QueryOutcomes, options: BootstrapOptions = {}): BootstrapCi {
  const { samples, seed, level } = { samples: 1000, seed: 0, level: 0.95, ...options };
  const Q = system.correct.length;
  const rand = mulberry32(seed ^ 0xb007);
  const retention = new Float64Array(samples);
  const reduction = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let sr = 0, sc = 0, sn = 0, tr = 0, tc = 0, tn = 0;
    for (let j = 0; j < Q; j++) {
      const q = Math.floor(rand() * Q);
      if (system.correct[q] !== -1) {
        sn++;
        sr += system.correct[q];
        sc += system.cost[q];
      }
      if (strongest.correct[q] !== -1) {
        tn++;
        tr += strongest.correct[q];
        tc += strongest.cost[q];
      }
    }
    const sysAcc = sn ? sr / sn : 0;
    const strAcc = tn ? tr / tn : 0;
    retention[s] = strAcc > 0 ? sysAcc / strAcc : 0;
    reduction[s] = tc > 0 ? 1 - (sc / Math.max(sn, 1)) / (tc / tn) : 0;
  }
  const lo = (1 - level) / 2;
  const pct = (a: Float64Array, p: number) => {
    const sorted = Float64Array.from(a).sort();
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(p * sorted.length)))];
  };
  return { level, samples, retention: [pct(retention, lo), pct(retention, 1 - lo)], costReduction: [pct(reduction, lo), pct(reduction, 1 - lo)] };
}
