import { answerKindOf, type AnswerKind } from '../extract.js';
import { UnsatisfiableError } from '../errors.js';
import { mulberry32, permutation } from '../rng.js';
import { topTask } from '../tasks.js';
import { cellIndex, type Workload } from '../workload.js';
import { candidatePlans, type Candidate, type CandidateOptions } from '../cascade/candidates.js';
import { paretoLadder } from '../cascade/ladder.js';
import type { CascadeCaps, ClusterPlan } from '../cascade/plan.js';
import { compositionOf, simulateQuery } from '../cascade/simulate.js';
import { encodeCodes } from './certify.js';
import { choiceAt, concaveHull, frontierRegions, interiorLambda, type HullPoint } from './hull.js';

/*
 * The frontier of a tune: one λ sweep over every cluster's plans (single models and stage-2 plans
 * together), with every region's figures estimated by cross-fitting. For each fold f, the plans are
 * chosen on the other folds at the region's λ and run on fold f; over all folds, every train query
 * has an outcome from a plan that neither saw it nor chose its thresholds (its QE score is out of fold
 * too). The deployed plans are the ones chosen on all of train.
 */

/** The data a frontier is fitted on. */
export interface FrontierData {
  w: Workload;
  /** Train rows of the workload; nothing else is read. */
  train: Int32Array;
  /** Cluster of every workload row (train rows at least). */
  clusterOf: ArrayLike<number>;
  k: number;
  /** Models (workload indices) plans may use. */
  pool: readonly number[];
  /** Cost of every cell in the metric's units. */
  cost: Float64Array;
  metric: string;
  /** λ is per unit of cost ÷ costScale. */
  costScale: number;
  /** The strongest model (workload index): retention is measured against it. */
  strongest: number;
}

export interface FrontierInput extends FrontierData {
  /** Cross-fitting fold of each train row (aligned with `train`). */
  fold: Int32Array;
  folds: number;
  /** Beta-prior pseudo-answers shrinking a model's per-cluster accuracy towards its global one. */
  priorStrength: number;
  /** Out-of-fold QE score of a train cell; null for stage 1 alone. */
  score: ((q: number, m: number) => number) | null;
  caps: CascadeCaps;
  candidates?: CandidateOptions;
  /** Standard errors by which a stage-2 plan's out-of-sample gain over the cluster's best single model must exceed 0. Defaults to `1`. */
  guard?: number;
  /** Seeds the order of the queries in the certificate's evidence. */
  seed: number;
}

/** Out-of-sample figures of one region over the train queries. */
export interface RegionFigures {
  accuracy: number;
  cost: number;
  costSd: number;
  escalationRate: number;
  /** accuracy ÷ the strongest model's accuracy on the same queries. */
  retention: number;
  n: number;
}

export interface BuiltRegion {
  kind: 'reference' | 'frontier';
  lambdaFrom: number;
  lambdaTo: number | null;
  plans: ClusterPlan[];
  expected: RegionFigures;
  /** Base64 pair codes (see certify.ts) of every train query, in the evidence order. */
  evidence: string;
  /** Clusters where a stage-2 plan was set back to the best single model because its gain was not supported. */
  guarded: number[];
}

export interface BuiltFrontier {
  /** The joint frontier (stage 1 alone when there is no score), reference region first. */
  regions: BuiltRegion[];
  /** The same sweep over single-model plans only; null when `regions` already is that. */
  stage1: BuiltRegion[] | null;
  answerKinds: AnswerKind[];
  /** The strongest model's accuracy over the train queries (the retention denominator). */
  strongestAccuracy: number;
  /** Per cluster, how many plans were compared. */
  candidates: number[];
  /** Per cluster, the plans compared in short: every single model, the hull, and a thinned sample of the rest. */
  summaries: ClusterCandidates[];
}

/** One plan a cluster's tune compared, with its figures on the cluster's train queries and their standard errors across the cross-fitting folds. */
export interface CandidateSummary {
  plan: ClusterPlan;
  accuracy: number;
  accuracySe: number;
  cost: number;
  costSe: number;
  escalationRate: number;
  /** On the cluster's concave hull over all of train: optimal at some λ. */
  onHull: boolean;
}

export interface ClusterCandidates {
  /** Plans compared (the ladder-eligible candidates), of which `shown` is a summary. */
  compared: number;
  shown: CandidateSummary[];
}

/** Dominated stage-2 plans kept per cluster summary, besides single models and the hull: enough to see the cloud. */
const SUMMARY_OTHERS = 40;

interface Option extends HullPoint {
  candidate: Candidate;
}

/** Per-query outcomes of one candidate over its cluster's rows. */
interface Outcomes {
  y: Float64Array;
  c: Float64Array;
  e: Uint8Array;
}

/** One cluster's rows, their folds and the candidates. */
interface ClusterWork {
  rows: Int32Array;
  fold: Int32Array;
  /** Row count per fold. */
  perFold: Float64Array;
  candidates: Candidate[];
  /** Per view (0..folds-1: without that fold; folds: all of train), the models eligible as the cluster's Pareto ladder. */
  ladders: Set<number>[];
  /** Per view, each model's global accuracy (shrinkage target). */
  global: Float64Array[];
  outcomes: Map<Candidate, Outcomes>;
}

const ALL = -1;

export function buildFrontier(input: FrontierInput): BuiltFrontier {
  const { w, train, fold, folds, clusterOf, k, cost } = input;
  const M = w.models.length;
  const views = folds + 1;
  const viewOf = (v: number) => (v === folds ? ALL : v);
  const inView = (f: number, v: number) => v === ALL || f !== v;

  const answerKinds: AnswerKind[] = [];
  const clusters: ClusterWork[] = [];
  const byCluster: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < train.length; i++) byCluster[clusterOf[train[i]]].push(i);

  // Per view: n, right, spend per (cluster, model) and per model over all clusters.
  const tables = Array.from({ length: views }, () => ({ n: new Float64Array(k * M), right: new Float64Array(k * M), spend: new Float64Array(k * M) }));
  for (let i = 0; i < train.length; i++) {
    const q = train[i];
    const c = clusterOf[q];
    for (let v = 0; v < views; v++) {
      if (!inView(fold[i], viewOf(v))) continue;
      const t = tables[v];
      for (const m of input.pool) {
        const y = w.correct[cellIndex(w, q, m)];
        if (y === -1) continue;
        t.n[c * M + m]++;
        t.right[c * M + m] += y;
        t.spend[c * M + m] += cost[cellIndex(w, q, m)];
      }
    }
  }
  /** A model's totals over every cluster of a view. */
  const overall = (t: (typeof tables)[number], m: number) => {
    let n = 0;
    let right = 0;
    let spend = 0;
    for (let c = 0; c < k; c++) {
      n += t.n[c * M + m];
      right += t.right[c * M + m];
      spend += t.spend[c * M + m];
    }
    return { n, right, spend };
  };
  const globalRate = tables.map((t) =>
    Float64Array.from({ length: M }, (_, m) => {
      const o = overall(t, m);
      return o.n ? o.right / o.n : Number.NaN;
    }),
  );
  const shrunk = (v: number, c: number, m: number) => {
    const t = tables[v];
    const g = globalRate[v][m];
    return Number.isNaN(g) ? Number.NaN : (t.right[c * M + m] + input.priorStrength * g) / (t.n[c * M + m] + input.priorStrength);
  };
  const meanCost = (v: number, c: number, m: number) => {
    const t = tables[v];
    if (t.n[c * M + m]) return t.spend[c * M + m] / t.n[c * M + m];
    const o = overall(t, m);
    return o.n ? o.spend / o.n : Number.NaN;
  };

  const composition = compositionOf(input.metric);
  for (let c = 0; c < k; c++) {
    const members = byCluster[c];
    const rows = Int32Array.from(members, (i) => train[i]);
    const f = Int32Array.from(members, (i) => fold[i]);
    const perFold = new Float64Array(folds);
    for (const x of f) perFold[x]++;
    answerKinds.push(answerKindOf(topTask(Array.from(rows, (q) => w.tasks[q]))));
    const ladders = Array.from({ length: views }, (_, v) => {
      const figures = input.pool.map((m) => ({ accuracy: shrunk(v, c, m), cost: meanCost(v, c, m) }));
      return new Set(paretoLadder(figures).map((j) => input.pool[j]));
    });
    const union = [...new Set(ladders.flatMap((s) => [...s]))].sort((a, b) => meanCost(folds, c, a) - meanCost(folds, c, b) || a - b);
    const candidates =
      rows.length === 0
        ? []
        : candidatePlans(
            {
              w, rows, fold: f, folds, models: union, cost, composition, caps: input.caps, kind: answerKinds[c],
              score: input.score ?? (() => Number.NaN),
              fallback: (m) => ({ accuracy: shrunk(folds, c, m), cost: meanCost(folds, c, m) }),
            },
            { ...input.candidates, stage2: input.score !== null && input.candidates?.stage2 !== false },
          );
    clusters.push({ rows, fold: f, perFold, candidates, ladders, global: globalRate, outcomes: new Map() });
  }

  /** A view's options of one cluster: eligible candidates with their figures on the view's queries. */
  const optionsOf = (c: number, v: number, singleOnly: boolean): Option[] => {
    const cw = clusters[c];
    const view = viewOf(v);
    let n = 0;
    for (let f = 0; f < folds; f++) if (inView(f, view)) n += cw.perFold[f];
    const out: Option[] = [];
    for (const cand of cw.candidates) {
      if (singleOnly && cand.models.length > 1) continue;
      if (!cand.models.every((m) => cw.ladders[v].has(m))) continue;
      let right = 0;
      let spend = 0;
      let esc = 0;
      for (let f = 0; f < folds; f++) {
        if (!inView(f, view)) continue;
        right += cand.sums[3 * f];
        spend += cand.sums[3 * f + 1];
        esc += cand.sums[3 * f + 2];
      }
      if (n === 0) {
        const m = cand.models[0];
        out.push({ candidate: cand, accuracy: shrunk(v, c, m), cost: meanCost(v, c, m), escalationRate: 0 });
        continue;
      }
      // A single model's rate is shrunk towards its global one, as in the routing table.
      const accuracy = cand.models.length === 1 ? (right + input.priorStrength * cw.global[v][cand.models[0]]) / (n + input.priorStrength) : right / n;
      out.push({ candidate: cand, accuracy, cost: spend / n, escalationRate: esc / n });
    }
    return out;
  };

  /** Standard error of a candidate's per-fold means (accuracy, cost) across the folds with queries. */
  const foldSe = (c: number, cand: Candidate, which: 0 | 1): number => {
    const cw = clusters[c];
    const means: number[] = [];
    for (let f = 0; f < folds; f++) if (cw.perFold[f]) means.push(cand.sums[3 * f + which] / cw.perFold[f]);
    if (means.length < 2) return Number.NaN;
    const mean = means.reduce((a, b) => a + b, 0) / means.length;
    return Math.sqrt(means.reduce((a, x) => a + (x - mean) ** 2, 0) / (means.length - 1) / means.length);
  };
  const summaryOf = (c: number): ClusterCandidates => {
    const options = optionsOf(c, folds, input.score === null);
    const hull = new Set(concaveHull(options));
    const others = options.filter((o) => o.candidate.models.length > 1 && !hull.has(o));
    const step = Math.max(1, others.length / SUMMARY_OTHERS);
    const sample = new Set(Array.from({ length: Math.min(others.length, SUMMARY_OTHERS) }, (_, i) => others[Math.floor(i * step)]));
    const shown = options.filter((o) => hull.has(o) || o.candidate.models.length === 1 || sample.has(o));
    return {
      compared: options.length,
      shown: shown.map((o) => ({
        plan: o.candidate.plan, accuracy: o.accuracy, accuracySe: foldSe(c, o.candidate, 0), cost: o.cost, costSe: foldSe(c, o.candidate, 1), escalationRate: o.escalationRate, onHull: hull.has(o),
      })),
    };
  };

  // A cell the log lacks (a model known only from a probe, in adapt) costs what that model costs the cluster on average.
  const filledCost = Float64Array.from(cost);
  for (const q of train) {
    for (const m of input.pool) if (!Number.isFinite(filledCost[cellIndex(w, q, m)])) filledCost[cellIndex(w, q, m)] = meanCost(folds, clusterOf[q], m);
  }
  const outcomesOf = (c: number, cand: Candidate): Outcomes => {
    const cw = clusters[c];
    let o = cw.outcomes.get(cand);
    if (!o) {
      const n = cw.rows.length;
      o = { y: new Float64Array(n), c: new Float64Array(n), e: new Uint8Array(n) };
      const sim = { w, rows: cw.rows, clusterOf, cost: filledCost, composition, score: input.score ?? (() => Number.NaN), answerKinds };
      for (let i = 0; i < n; i++) {
        const r = simulateQuery(cw.rows[i], cand.plan, input.caps, sim);
        // A model known only from a probe (adapt) has no answer here: count its expected accuracy.
        o.y[i] = r.correct === -1 ? shrunk(folds, c, r.finalModel) : r.correct;
        o.c[i] = r.cost;
        o.e[i] = r.escalations > 0 ? 1 : 0;
      }
      cw.outcomes.set(cand, o);
    }
    return o;
  };

  // Evidence order: a seeded shuffle of the train queries, so the sequential test sees them exchangeably.
  const order = permutation(train.length, mulberry32(input.seed ^ 0xce27));
  const position = new Int32Array(train.length);
  order.forEach((i, p) => (position[i] = p));
  const rowIndex = new Map<number, number>();
  train.forEach((q, i) => rowIndex.set(q, i));
  const strong = Float64Array.from(train, (q) => (w.correct[cellIndex(w, q, input.strongest)] === 1 ? 1 : 0));
  const strongestAccuracy = strong.reduce((a, b) => a + b, 0) / Math.max(1, train.length);

  /** Per-train-row outcomes of a procedure; `pick(c, f)` is the candidate used for cluster c's fold-f queries. */
  const assemble = (pick: (c: number, f: number) => Candidate) => {
    const y = new Float64Array(train.length);
    const cs = new Float64Array(train.length);
    const e = new Uint8Array(train.length);
    for (let c = 0; c < k; c++) {
      const cw = clusters[c];
      const chosen = Array.from({ length: folds }, (_, f) => (cw.perFold[f] ? pick(c, f) : null));
      cw.rows.forEach((q, i) => {
        const o = outcomesOf(c, chosen[cw.fold[i]]!);
        const t = rowIndex.get(q)!;
        y[t] = o.y[i];
        cs[t] = o.c[i];
        e[t] = o.e[i];
      });
    }
    return { y, c: cs, e };
  };
  const figuresOf = (o: { y: Float64Array; c: Float64Array; e: Uint8Array }): { expected: RegionFigures; evidence: string } => {
    const n = train.length;
    let right = 0;
    let spend = 0;
    let sq = 0;
    let esc = 0;
    for (let i = 0; i < n; i++) {
      right += o.y[i];
      spend += o.c[i];
      sq += o.c[i] * o.c[i];
      esc += o.e[i];
    }
    const mean = spend / n;
    const codes = new Uint8Array(n);
    // An expected (not observed) right answer is evidence of nothing: it counts as wrong in the certificate.
    for (let i = 0; i < n; i++) codes[position[i]] = 2 * strong[i] + (o.y[i] === 1 ? 1 : 0);
    return {
      expected: {
        accuracy: right / n,
        cost: mean,
        costSd: Math.sqrt(Math.max(0, sq / n - mean * mean)),
        escalationRate: esc / n,
        retention: strongestAccuracy > 0 ? right / n / strongestAccuracy : 0,
        n,
      },
      evidence: encodeCodes(codes),
    };
  };

  const strongestModel = w.models[input.strongest];
  const strongestPlan: ClusterPlan = { action: 'answer', model: strongestModel };
  const referenceOutcomes = { y: strong, c: Float64Array.from(train, (q) => cost[cellIndex(w, q, input.strongest)]), e: new Uint8Array(train.length) };
  const reference = (): BuiltRegion => ({
    kind: 'reference', lambdaFrom: 0, lambdaTo: 0, plans: Array.from({ length: k }, () => strongestPlan), ...figuresOf(referenceOutcomes), guarded: [],
  });

  /** One sweep: hulls on all of train define the regions; fold hulls give each region's out-of-sample outcomes. */
  const sweep = (singleOnly: boolean) => {
    const hulls = Array.from({ length: k }, (_, c) => concaveHull(optionsOf(c, folds, singleOnly)));
    hulls.forEach((h, c) => {
      if (h.length === 0) throw new UnsatisfiableError(`cluster ${c} has no plan: no pool model answered its training queries`);
    });
    const foldHulls = Array.from({ length: folds }, (_, f) => Array.from({ length: k }, (_, c) => concaveHull(optionsOf(c, f, singleOnly))));
    const regions = frontierRegions(hulls, input.costScale).map((r) => {
      const lambda = interiorLambda(r.lambdaFrom, r.lambdaTo);
      const deployed = r.choice.map((j, c) => hulls[c][j].candidate);
      const outcomes = assemble((c, f) => {
        const h = foldHulls[f][c];
        // A fold whose other folds leave the cluster no option falls back to the deployed choice.
        return h.length ? pickAt(h, lambda) : deployed[c];
      });
      return { lambdaFrom: r.lambdaFrom, lambdaTo: r.lambdaTo, lambda, deployed, outcomes };
    });
    return { regions, hulls, foldHulls };
  };
  const pickAt = (hull: Option[], lambda: number) => hull[choiceAt(hull, lambda, input.costScale)].candidate;

  const stage2 = input.score !== null;
  const guard = input.guard ?? 1;
  type Outcome = { y: Float64Array; c: Float64Array; e: Uint8Array };

  /**
   * Keeps a cluster's plan only where its out-of-sample gain in error + λ·cost over `alt` (another
   * procedure's outcomes at the same λ) exceeds `guard` standard errors; elsewhere the cluster takes
   * `altPlan` and its outcomes. Returns the clusters set back.
   */
  const supported = (plans: ClusterPlan[], own: Outcome, alt: Outcome, altPlan: (c: number) => ClusterPlan, lambda: number, test: (c: number) => boolean): number[] => {
    const back: number[] = [];
    for (let c = 0; c < k; c++) {
      if (!test(c)) continue;
      const idx = clusters[c].rows.map((q) => rowIndex.get(q)!);
      const gains = Array.from(idx, (t) => own.y[t] - alt.y[t] - (lambda * (own.c[t] - alt.c[t])) / input.costScale);
      const n = gains.length;
      const mean = gains.reduce((a, b) => a + b, 0) / Math.max(1, n);
      const sd = Math.sqrt(gains.reduce((a, g) => a + (g - mean) ** 2, 0) / Math.max(1, n - 1));
      if (n > 1 && mean - guard * (sd / Math.sqrt(n)) > 0) continue;
      back.push(c);
      plans[c] = altPlan(c);
      for (const t of idx) {
        own.y[t] = alt.y[t];
        own.c[t] = alt.c[t];
        own.e[t] = alt.e[t];
      }
    }
    return back;
  };
  const copy = (o: Outcome): Outcome => ({ y: Float64Array.from(o.y), c: Float64Array.from(o.c), e: Uint8Array.from(o.e) });
  /**
   * The reference guard: where a cluster's plan does not beat the strongest model in error + λ·cost by
   * more than noise, the cluster stays on the strongest model. Choosing the most accurate of many plans
   * on a few hundred queries overstates it (the winner's curse), so without this the top of the frontier
   * is its least reliable part; with it, the frontier leaves the reference only where the data support it.
   */
  const referenceGuard = (plans: ClusterPlan[], own: Outcome, lambda: number) =>
    supported(plans, own, referenceOutcomes, () => strongestPlan, lambda, (c) => { const p = plans[c]; return !(p.action === 'answer' && p.model === strongestModel); });

  const single = sweep(true);
  const singleRegions: BuiltRegion[] = [reference()];
  for (const s of single.regions) {
    const plans = s.deployed.map((d) => d.plan);
    const own = copy(s.outcomes);
    const guarded = referenceGuard(plans, own, s.lambda);
    singleRegions.push({ kind: 'frontier', lambdaFrom: s.lambdaFrom, lambdaTo: s.lambdaTo, plans, ...figuresOf(own), guarded });
  }
  const summaries = clusters.map((_, c) => summaryOf(c));
  const candidates = clusters.map((c) => c.candidates.length);
  if (!stage2) return { regions: singleRegions, stage1: null, answerKinds, strongestAccuracy, candidates, summaries };

  const joint = sweep(false);
  const singleFoldAt = (c: number, f: number, lambda: number) => {
    const h = single.foldHulls[f][c];
    return pickAt(h.length ? h : single.hulls[c], lambda);
  };
  const regions: BuiltRegion[] = [reference()];
  for (const r of joint.regions) {
    const plans = r.deployed.map((d) => d.plan);
    const own = copy(r.outcomes);
    // Never harmful: a stage-2 plan stays only where its out-of-sample gain over the best single model is supported.
    const alt = assemble((c, f) => singleFoldAt(c, f, r.lambda));
    const toSingle = supported(plans, own, alt, (c) => pickAt(single.hulls[c], r.lambda).plan, r.lambda, (c) => r.deployed[c].models.length > 1);
    const toReference = referenceGuard(plans, own, r.lambda);
    regions.push({ kind: 'frontier', lambdaFrom: r.lambdaFrom, lambdaTo: r.lambdaTo, plans, ...figuresOf(own), guarded: [...new Set([...toSingle, ...toReference])].sort((a, b) => a - b) });
  }
  return { regions, stage1: singleRegions, answerKinds, strongestAccuracy, candidates, summaries };
}
