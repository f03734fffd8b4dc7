import { describePlan } from './cascade/plan.js';
import { assignClusters } from './cluster.js';
import { clusterStatsEntries, flatCentroids, type TunedConfig } from './config.js';
import { costMatrix } from './cost.js';
import { BuiltinEmbedder } from './embed/tfidf.js';
import type { EmbedderFactory } from './embedder.js';
import { InvalidInputError, UnsatisfiableError } from './errors.js';
import { mulberry32, permutation } from './rng.js';
import { fitFrontier } from './frontier/fit.js';
import { singleModelRoutes } from './frontier/single-model.js';
import { clusterStats, globalModelStats } from './stats.js';
import type { RunLog } from './runlog.js';
import { embedAll, makeEmbedder, poolCells, type TuneProgress } from './tune.js';
import { buildWorkload, cellIndex, selectQueries, type Workload } from './workload.js';

/*
 * Model-pool changes without re-tuning from scratch. The clusters (centroids) stay as they are;
 * everything that depends on the pool is recomputed from the config's training queries only:
 * per-cluster statistics (a new model's from its probe answers, shrunk towards its own global
 * rate), the cross-fitted frontier of plans and its certified operating point, and the QE.
 */

export interface AdaptOptions {
  /** Pool models to remove. Defaults to `[]`. */
  remove?: string[];
  /** Builds non-builtin embedders (the Node side passes createEmbedder). Defaults to none. */
  embedderFactory?: EmbedderFactory;
  /** Clock for createdAt. Defaults to `() => new Date()`. */
  now?: () => Date;
  onProgress?: TuneProgress;
}

/** What changed between two configs, for people and for the CLI's diff file. */
export interface AdaptDiff {
  added: { model: string; probeAnswers: number }[];
  removed: string[];
  /** Probe answers to test-split queries: never read. */
  ignoredTestAnswers: number;
  strongest: { before: string; after: string };
  ladder: { before: string[]; after: string[] } | null;
  /** The operating region's plan per cluster, before and after. */
  plans: { cluster: number; before: string; after: string; changed: boolean }[];
  /** The operating region's out-of-sample figures on train, before and after. */
  expected: { before: { accuracy: number; cost: number; retention: number }; after: { accuracy: number; cost: number; retention: number } };
  centroidsUnchanged: boolean;
}

/** The workload rows of the config's training queries; a missing one is an error naming how many. */
function trainRows(config: TunedConfig, w: Workload): Int32Array {
  const index = new Map(w.qids.map((q, i) => [q, i]));
  const rows: number[] = [];
  let missing = 0;
  for (const qid of config.split.trainQids) {
    const i = index.get(qid);
    if (i === undefined) missing++;
    else rows.push(i);
  }
  if (missing > 0) {
    throw new InvalidInputError(`the run log lacks ${missing} of the config's ${config.split.trainQids.length} training queries: pass the run log the config was tuned on together with the probe`, 'run log');
  }
  return Int32Array.from(rows);
}

/** The workload restricted to some model columns, in the given order. */
function keepModels(w: Workload, keep: readonly number[]): Workload {
  const K = keep.length;
  const Q = w.qids.length;
  const pick = <T extends Float64Array | Int8Array>(src: T, out: T): T => {
    for (let q = 0; q < Q; q++) for (let j = 0; j < K; j++) out[q * K + j] = src[cellIndex(w, q, keep[j])];
    return out;
  };
  const responses = [];
  for (let q = 0; q < Q; q++) for (const m of keep) responses.push(w.responses[cellIndex(w, q, m)]);
  return {
    ...w,
    models: keep.map((m) => w.models[m]),
    correct: pick(w.correct, new Int8Array(Q * K)),
    outputTokens: pick(w.outputTokens, new Float64Array(Q * K)),
    costUsd: pick(w.costUsd, new Float64Array(Q * K)),
    tpotMs: pick(w.tpotMs, new Float64Array(Q * K)),
    latencyMs: pick(w.latencyMs, new Float64Array(Q * K)),
    responses,
  };
}

/** Cluster labels of the config's training queries: nearest centroid of their embeddings, as serving does. */
async function trainLabels(config: TunedConfig, prompts: readonly string[], options: AdaptOptions): Promise<Int32Array> {
  const embedder = config.embedder.state
    ? BuiltinEmbedder.fromState(config.embedder.state, 'config: embedder.state')
    : await makeEmbedder(config.embedder.spec, [], config.provenance.seed, options.embedderFactory);
  if (embedder.id !== config.embedder.id) {
    throw new InvalidInputError(`the embedder's id ${embedder.id} differs from the one the config was tuned with (${config.embedder.id})`, 'config: embedder.id');
  }
  const x = await embedAll(embedder, prompts, options.onProgress ?? (() => undefined));
  return assignClusters({ centroids: flatCentroids(config), dimensions: config.embedder.dimensions }, x);
}

export interface ProbeQuery {
  cluster: number;
  qid: string;
  task: string;
  prompt: string;
  reference: string | null;
  promptTokens: number | null;
}

/**
 * The training queries a new model must answer before `adapt` can place it: a seeded sample of
 * `perCluster` queries from every cluster (all of a cluster's queries when it has fewer).
 */
export async function probePlan(config: TunedConfig, log: RunLog, perCluster: number, options: AdaptOptions & { seed?: number } = {}): Promise<ProbeQuery[]> {
  if (!(Number.isInteger(perCluster) && perCluster >= 1)) throw new InvalidInputError(`per-cluster count must be an integer ≥ 1, got ${perCluster}`, '--per-cluster');
  const w = buildWorkload(log);
  const rows = trainRows(config, w);
  const labels = await trainLabels(config, Array.from(rows, (q) => w.prompts[q]), options);
  const rand = mulberry32((options.seed ?? config.provenance.seed) ^ 0x9b0b);
  const out: ProbeQuery[] = [];
  for (let c = 0; c < config.clusters.length; c++) {
    const members = Array.from(rows).filter((_, i) => labels[i] === c).sort((a, b) => (w.qids[a] < w.qids[b] ? -1 : 1));
    const order = permutation(members.length, rand);
    for (const p of order.slice(0, perCluster)) {
      const q = members[p];
      out.push({ cluster: c, qid: w.qids[q], task: w.tasks[q], prompt: w.prompts[q], reference: w.references[q], promptTokens: Number.isFinite(w.promptTokens[q]) ? w.promptTokens[q] : null });
    }
  }
  return out;
}

/**
 * Adds the models of `log` that the config's pool lacks (from their probe answers) and removes
 * `options.remove`; returns the new config and what changed. `log` must hold the config's
 * training queries with the pool's answers (the run log it was tuned on) and the probe answers.
 */
export async function adaptTunedConfig(config: TunedConfig, log: RunLog, options: AdaptOptions = {}): Promise<{ config: TunedConfig; diff: AdaptDiff }> {
  const remove = options.remove ?? [];
  const poolNames = config.pool.map((p) => p.model);
  for (const m of remove) if (!poolNames.includes(m)) throw new InvalidInputError(`cannot remove "${m}": it is not in the pool (${poolNames.join(', ')})`, '--remove');
  const all = buildWorkload(log);
  const rows = trainRows(config, all);
  const inTrain = new Set(rows);
  const M0 = all.models.length;
  let ignoredTestAnswers = 0;
  for (let q = 0; q < all.qids.length; q++) {
    if (inTrain.has(q)) continue;
    for (let m = 0; m < M0; m++) if (all.correct[q * M0 + m] !== -1 && !poolNames.includes(all.models[m])) ignoredTestAnswers++;
  }
  // From here on only training queries exist: the test split cannot leak into anything below.
  const train = selectQueries(all, rows);
  const answered = (m: number) => {
    let n = 0;
    for (let q = 0; q < train.qids.length; q++) if (train.correct[q * M0 + m] !== -1) n++;
    return n;
  };
  const keep: number[] = [];
  for (const name of poolNames) {
    if (remove.includes(name)) continue;
    const m = train.models.indexOf(name);
    if (m < 0 || answered(m) === 0) throw new InvalidInputError(`pool model "${name}" has no answers to the training queries in this run log: pass the run log the config was tuned on`, 'run log');
    keep.push(m);
  }
  const added: AdaptDiff['added'] = [];
  train.models.forEach((name, m) => {
    if (poolNames.includes(name) || remove.includes(name)) return;
    const n = answered(m);
    if (n > 0) {
      keep.push(m);
      added.push({ model: name, probeAnswers: n });
    }
  });
  if (keep.length === 0) throw new UnsatisfiableError('removing these models leaves an empty pool', '--remove');
  const w = keepModels(train, keep);
  const M = w.models.length;
  const Q = w.qids.length;
  const perModel = Object.fromEntries(config.pool.filter((p) => p.figures).map((p) => [p.model, p.figures!]));
  const cost = costMatrix(w, config.cost.metric, { prices: log.prices, perModel });
  const labels = await trainLabels(config, w.prompts, options);
  const k = config.clusters.length;
  const everyRow = Int32Array.from({ length: Q }, (_, i) => i);
  const cells = poolCells(w, cost, everyRow, Array.from({ length: M }, (_, m) => m));
  const global = globalModelStats(cells.correct, cells.cost, M);
  const costScale = Math.max(...global.map((g) => g.meanCost).filter(Number.isFinite)) || 1;
  const stats = clusterStats(cells.correct, cells.cost, M, labels, k, { priorStrength: config.clustering.priorStrength });
  const eligible = singleModelRoutes(stats, costScale).eligible;
  // Only a model that answered every training query can be the yardstick of retention: a probe's
  // few answers would make the strongest model a matter of luck.
  let strongest = -1;
  global.forEach((g, m) => {
    if (g.n < Q) return;
    if (strongest < 0 || g.errorRate < global[strongest].errorRate || (g.errorRate === global[strongest].errorRate && g.meanCost < global[strongest].meanCost)) strongest = m;
  });
  if (strongest < 0) throw new UnsatisfiableError('no model of the adapted pool answered every training query', 'run log');
  const strongestAccuracy = 1 - global[strongest].errorRate;
  const op = config.operatingPoint;
  const frontier = fitFrontier(
    { w, train: everyRow, clusterOf: labels, k, pool: Array.from({ length: M }, (_, m) => m), cost, metric: config.cost.metric, costScale, strongest },
    {
      folds: config.crossFit.folds, seed: config.crossFit.seed, guard: config.crossFit.guard, priorStrength: config.clustering.priorStrength,
      cascade: config.cascade ? { caps: config.cascade.caps } : false, criterion: op.criterion, confidence: op.confidence, unit: config.cost.unit,
    },
  );
  const next: TunedConfig = {
    ...config,
    createdAt: (options.now ?? (() => new Date()))().toISOString(),
    provenance: { ...config.provenance, sources: [...config.provenance.sources, ...log.sources.filter((s) => !config.provenance.sources.some((o) => o.sha256 === s.sha256)).map((s) => ({ path: s.path, sha256: s.sha256 }))] },
    cost: { ...config.cost, scale: costScale },
    pool: w.models.map((model, m) => {
      const old = config.pool.find((p) => p.model === model);
      const figures = old?.figures ?? (log.prices[model] && { usdPerMtokIn: log.prices[model].usdPerMtokIn, usdPerMtokOut: log.prices[model].usdPerMtokOut });
      return { model, accuracy: 1 - global[m].errorRate, meanCost: global[m].meanCost, ...(figures && { figures }) };
    }),
    strongest: { model: w.models[strongest], accuracy: strongestAccuracy, meanCost: global[strongest].meanCost },
    clusters: config.clusters.map((c, ci) => ({
      ...c,
      stats: clusterStatsEntries(stats.clusters[ci], (m) => w.models[m], eligible[ci]),
    })),
    crossFit: frontier.crossFit,
    regions: frontier.regions,
    stage1Regions: frontier.stage1Regions,
    operatingPoint: frontier.operatingPoint,
    stage2Skipped: frontier.stage2Skipped,
    cascade: frontier.cascade,
  };
  const served = (c: TunedConfig) => c.regions[c.operatingPoint.region];
  const plansBefore = served(config).plans.map(describePlan);
  const plansAfter = served(next).plans.map(describePlan);
  const figures = (c: TunedConfig) => ({ accuracy: served(c).expected.accuracy, cost: served(c).expected.cost, retention: served(c).expected.retention });
  const diff: AdaptDiff = {
    added,
    removed: [...remove],
    ignoredTestAnswers,
    strongest: { before: config.strongest.model, after: next.strongest.model },
    ladder: config.cascade && next.cascade ? { before: config.cascade.ladder, after: next.cascade.ladder } : null,
    plans: plansBefore.map((b, c) => ({ cluster: c, before: b, after: plansAfter[c], changed: b !== plansAfter[c] })),
    expected: { before: figures(config), after: figures(next) },
    centroidsUnchanged: next.clusters.every((c, i) => c.centroid.every((x, j) => x === config.clusters[i].centroid[j])),
  };
  return { config: next, diff };
}

/** The diff as readable lines. */
export function formatAdaptDiff(d: AdaptDiff, unit: string): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines: string[] = [];
  for (const a of d.added) lines.push(`added ${a.model} (${a.probeAnswers} probe answers on training queries)`);
  for (const r of d.removed) lines.push(`removed ${r}`);
  if (d.ignoredTestAnswers > 0) lines.push(`ignored ${d.ignoredTestAnswers} probe answers to test-split queries`);
  if (d.strongest.before !== d.strongest.after) lines.push(`strongest model: ${d.strongest.before} → ${d.strongest.after}`);
  if (d.ladder) lines.push(`ladder: ${d.ladder.before.join(' < ')}  →  ${d.ladder.after.join(' < ')}`);
  for (const p of d.plans) lines.push(`cluster ${p.cluster} plan: ${p.changed ? `${p.before}  →  ${p.after}` : `${p.after} (unchanged)`}`);
  const e = d.expected;
  lines.push(`expected (out of sample on train): accuracy ${pct(e.before.accuracy)} → ${pct(e.after.accuracy)}, retention ${pct(e.before.retention)} → ${pct(e.after.retention)}, cost ${e.before.cost.toPrecision(3)} → ${e.after.cost.toPrecision(3)} ${unit}`);
  lines.push(d.centroidsUnchanged ? 'clusters: centroids unchanged' : 'clusters: CENTROIDS CHANGED');
  return lines.join('\n');
}
