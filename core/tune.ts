import { KMeansClusterer, SilhouetteSample, assignClusters, type FittedClusters } from './cluster.js';
import { clusterStatsEntries, flatCentroids, TUNED_CONFIG_VERSION, type TunedConfig } from './config.js';
import { COST_UNITS, checkPricingModels, costMatrix, type CostMetric, type Pricing } from './cost.js';
import { BuiltinEmbedder } from './embed/tfidf.js';
import type { Embedder, EmbedderFactory, EmbedderSpec } from './embedder.js';
import { InvalidInputError, OutOfRangeError } from './errors.js';
import { aiq, routedTotals, type LabelledCells } from './evaluate.js';
import { buildReport, type EngineReport } from './report.js';
import type { ClusterCandidates } from './frontier/build.js';
import { fitFrontier, FIT_DEFAULTS, type Stage2Options } from './frontier/fit.js';
import type { OperatingCriterion } from './frontier/operating-point.js';
import { singleModelRoutes, type SingleModelRoutes } from './frontier/single-model.js';
import { mulberry32, permutation } from './rng.js';
import type { RunLog } from './runlog.js';
import { withModels } from './runlog-slice.js';
import { checkTrainFraction, foldsOf, splitByTrainQids, splitQueries, SPLIT_DEFAULTS } from './split.js';
import { clusterStats, globalModelStats, STATS_DEFAULTS } from './stats.js';
import { topTask } from './tasks.js';
import { buildWorkload, cellIndex, selectQueries, type Workload } from './workload.js';

/** Progress of a long step, for a progress bar. */
export type TuneProgress = (step: string, done: number, total: number) => void;

export interface TuneOptions {
  /** Cost metric. Defaults to `'usd'`. */
  costMetric?: CostMetric;
  /** Pool-file figures for the cost metric (the log's prices.json is always used). Defaults to `{}`. */
  pricing?: Pick<Pricing, 'perModel'>;
  /** How to pick the operating point. Defaults to `{kind: 'targetRetention', targetRetention: 0.99}`. */
  criterion?: OperatingCriterion;
  /** Confidence of the operating point's certificate; 0 keeps the cross-fitted point estimate alone. Defaults to `0.9`. */
  confidence?: number;
  /** Cross-fitting folds of the frontier's out-of-sample estimates. Defaults to `5`. */
  folds?: number;
  /** Clusters: a number, or 'auto' for routing-quality cross-validation within train. Defaults to `'auto'`. */
  k?: number | 'auto';
  /** Range of k tried by 'auto' (inclusive). Defaults to `[1, 8]`. */
  kRange?: [number, number];
  /** Folds of the k cross-validation. Defaults to `3`. */
  cvFolds?: number;
  /**
   * Most train queries the k cross-validation looks at (a seeded sample beyond that): choosing k
   * needs far fewer queries than fitting the final clusters, and this keeps tune time near-linear
   * in the log's size. Defaults to `2000`.
   */
  cvMaxQueries?: number;
  /** k-means++ restarts of the final clustering. Defaults to `4`. */
  restarts?: number;
  /** Embedder. Defaults to `{kind: 'builtin'}`. */
  embedder?: EmbedderSpec;
  /** Builds non-builtin embedders (the Node side passes createEmbedder). Defaults to none. */
  embedderFactory?: EmbedderFactory;
  /** Defaults to `0.6`. */
  trainFraction?: number;
  /** Seeds the split, the embedder projection, k-means, CV folds and the bootstrap. Defaults to `0`. */
  seed?: number;
  /** Beta prior strength of the per-cluster rates. Defaults to `10`. */
  priorStrength?: number;
  /** Bootstrap resamples for the report's intervals. Defaults to `1000`. */
  bootstrapSamples?: number;
  /** Recorded in the config's provenance. Defaults to `{name: 'cascade-lab', version: '0.0.0'}`. */
  tool?: { name: string; version: string };
  /** Clock for createdAt. Defaults to `() => new Date()`. */
  now?: () => Date;
  onProgress?: TuneProgress;
  /** Stage 2 (QE and per-cluster cascade plans on the same frontier as single models), or false for stage 1 alone. Defaults to `{}`. */
  cascade?: Stage2Options | false;
}

const DEFAULTS = {
  costMetric: 'usd' as CostMetric,
  pricing: {} as Pick<Pricing, 'perModel'>,
  criterion: { kind: 'targetRetention', targetRetention: 0.99 } as OperatingCriterion,
  confidence: 0.9,
  folds: FIT_DEFAULTS.folds as number,
  k: 'auto' as number | 'auto',
  kRange: [1, 8] as [number, number],
  cvFolds: 3,
  cvMaxQueries: 2000,
  restarts: 4,
  embedder: { kind: 'builtin' } as EmbedderSpec,
  embedderFactory: undefined as EmbedderFactory | undefined,
  trainFraction: SPLIT_DEFAULTS.trainFraction,
  seed: SPLIT_DEFAULTS.seed,
  priorStrength: STATS_DEFAULTS.priorStrength,
  bootstrapSamples: 1000,
  tool: { name: 'cascade-lab', version: '0.0.0' },
  now: () => new Date(),
  onProgress: (() => undefined) as TuneProgress,
  cascade: {} as Stage2Options | false,
};

const MAX_K = 64;
/** Restarts per k-means fit inside the k cross-validation (the final fit uses `restarts`). */
const CV_RESTARTS = 1;

export type ResolvedTuneOptions = typeof DEFAULTS;

/** Fills defaults and checks every setting's range, naming the CLI flag at fault. */
export function resolveTuneOptions(options: TuneOptions): ResolvedTuneOptions {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as ResolvedTuneOptions;
  checkTrainFraction(o.trainFraction);
  if (o.k !== 'auto' && !(Number.isInteger(o.k) && o.k >= 1 && o.k <= MAX_K)) throw new OutOfRangeError(`k must be 'auto' or an integer in [1, ${MAX_K}], got ${o.k}`, '--k');
  const [lo, hi] = o.kRange;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo && hi <= MAX_K)) throw new OutOfRangeError(`k range must be integers 1 ≤ from ≤ to ≤ ${MAX_K}, got [${lo}, ${hi}]`, '--k-range');
  if (!(Number.isInteger(o.cvFolds) && o.cvFolds >= 2 && o.cvFolds <= 20)) throw new OutOfRangeError(`CV folds must be an integer in [2, 20], got ${o.cvFolds}`, '--cv-folds');
  if (!(Number.isInteger(o.cvMaxQueries) && o.cvMaxQueries >= 10)) throw new OutOfRangeError(`CV sample size must be an integer ≥ 10, got ${o.cvMaxQueries}`, '--cv-max-queries');
  if (!(Number.isInteger(o.restarts) && o.restarts >= 1 && o.restarts <= 100)) throw new OutOfRangeError(`restarts must be an integer in [1, 100], got ${o.restarts}`, '--restarts');
  if (!Number.isInteger(o.seed)) throw new OutOfRangeError(`seed must be an integer, got ${o.seed}`, '--seed');
  if (!(o.priorStrength >= 0)) throw new OutOfRangeError(`prior strength must be ≥ 0, got ${o.priorStrength}`, '--prior-strength');
  const c = o.criterion;
  if (c.kind === 'budget' && !(Number.isFinite(c.budget) && c.budget >= 0)) throw new OutOfRangeError(`budget must be a number ≥ 0, got ${c.budget}`, '--budget');
  if (c.kind === 'targetRetention' && !(c.targetRetention > 0 && c.targetRetention <= 2)) throw new OutOfRangeError(`target retention must be in (0, 2], got ${c.targetRetention}`, '--target-retention');
  if (c.kind === 'lambda' && !(Number.isFinite(c.lambda) && c.lambda >= 0)) throw new OutOfRangeError(`λ must be a number ≥ 0, got ${c.lambda}`, '--lambda');
  if (!(o.confidence >= 0 && o.confidence < 1)) throw new OutOfRangeError(`confidence must be in [0, 1), got ${o.confidence}`, '--confidence');
  if (!(Number.isInteger(o.folds) && o.folds >= 2 && o.folds <= 20)) throw new OutOfRangeError(`cross-fitting folds must be an integer in [2, 20], got ${o.folds}`, '--folds');
  if (!(Number.isInteger(o.bootstrapSamples) && o.bootstrapSamples >= 1)) throw new OutOfRangeError(`bootstrap samples must be an integer ≥ 1, got ${o.bootstrapSamples}`, '--bootstrap');
  return o;
}

/** The embedder a spec names: the built-in one is fitted on the train prompts, others come from the factory. */
export async function makeEmbedder(spec: EmbedderSpec, trainPrompts: readonly string[], seed: number, factory?: EmbedderFactory): Promise<Embedder> {
  if (spec.kind === 'builtin') return BuiltinEmbedder.fit(trainPrompts, { seed, ...(spec.dimensions !== undefined && { dimensions: spec.dimensions }) });
  if (!factory) throw new InvalidInputError(`embedder "${spec.kind}" needs the Node side's embedder factory; the core builds only "builtin"`, '--embedder');
  return factory(spec);
}

/** Embeds texts in batches, reporting progress. */
export async function embedAll(embedder: Embedder, texts: readonly string[], onProgress: TuneProgress, batch = 64): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += batch) {
    out.push(...(await embedder.embed(texts.slice(i, i + batch))));
    onProgress('embed', Math.min(texts.length, i + batch), texts.length);
  }
  return out;
}

/** The cells of the given rows restricted to the pool's columns. */
export function poolCells(w: Workload, cost: Float64Array, rows: ArrayLike<number>, pool: readonly number[]): LabelledCells {
  const P = pool.length;
  const correct = new Int8Array(rows.length * P);
  const c = new Float64Array(rows.length * P);
  for (let i = 0; i < rows.length; i++) {
    for (let p = 0; p < P; p++) {
      correct[i * P + p] = w.correct[cellIndex(w, rows[i], pool[p])];
      c[i * P + p] = cost[cellIndex(w, rows[i], pool[p])];
    }
  }
  return { correct, cost: c, models: P };
}

/** The result of a tune: the config to serve and the honest report on the test split. */
export interface TuneResult {
  config: TunedConfig;
  report: EngineReport;
  /** Per cluster, the plans the frontier compared, in short (not part of the config: it explains the choice, serving never reads it). */
  candidates: ClusterCandidates[];
  /** What the tune fitted, so no caller embeds or assigns clusters again (scikit-learn's fitted attributes). */
  fitted: { embeddings: Float32Array[]; labels: Int32Array; testLabels: Int32Array; train: Int32Array; test: Int32Array };
}

/**
 * The yardstick of retention: the most accurate model (ties: cheaper) among those that answered
 * (nearly) every train query, so a model known from a few answers cannot be the strongest by luck and
 * retention never compares all queries with a model's few.
 */
function pickStrongest(global: { n: number; errorRate: number; meanCost: number }[]): number {
  const most = Math.max(...global.map((g) => g.n));
  let best = -1;
  global.forEach((g, m) => {
    if (g.n < 0.95 * most) return;
    const b = global[best];
    if (best < 0 || g.errorRate < b.errorRate || (g.errorRate === b.errorRate && g.meanCost < b.meanCost)) best = m;
  });
  return best;
}

/**
 * Stage 1 end to end: split by query, embed, cluster (k by routing-quality CV within train
 * unless fixed), per-cluster stats, exact λ regions, operating point, then the report on test.
 */
export async function tune(log: RunLog, options: TuneOptions = {}): Promise<TuneResult> {
  const o = resolveTuneOptions(options);
  const w = buildWorkload(log);
  const pricing: Pricing = { prices: log.prices, perModel: o.pricing.perModel ?? {} };
  checkPricingModels(pricing, w.models, 'pricing');
  const cost = costMatrix(w, o.costMetric, pricing);
  const split = splitQueries(w.qids, w.tasks, { trainFraction: o.trainFraction, seed: o.seed });
  if (split.train.length < 2 || split.test.length < 1) {
    throw new OutOfRangeError(`a train fraction of ${o.trainFraction} leaves ${split.train.length} train and ${split.test.length} test queries of ${w.qids.length}`, '--train-frac');
  }
  const trainAll = selectQueries(w, split.train);
  const pool = globalModelStats(trainAll.correct, new Float64Array(trainAll.correct.length), w.models.length)
    .map((g, m) => (g.n > 0 ? m : -1))
    .filter((m) => m >= 0);
  if (pool.length === 0) throw new InvalidInputError('no model answered any train query', 'run log');
  const train = poolCells(w, cost, split.train, pool);
  const global = globalModelStats(train.correct, train.cost, train.models);
  const costScale = Math.max(...global.map((g) => g.meanCost)) || 1;

  o.onProgress('fit embedder', 0, 1);
  const trainPrompts = Array.from(split.train, (i) => w.prompts[i]);
  const embedder = await makeEmbedder(o.embedder, trainPrompts, o.seed, o.embedderFactory);
  o.onProgress('fit embedder', 1, 1);
  const embeddings = await embedAll(embedder, w.prompts, o.onProgress);
  const trainX = Array.from(split.train, (i) => embeddings[i]);
  const testX = Array.from(split.test, (i) => embeddings[i]);

  const selection = chooseK(train, trainX, costScale, o);
  const fitted = selection.fitted;
  const stats = clusterStats(train.correct, train.cost, train.models, fitted.labels, fitted.k, { priorStrength: o.priorStrength });
  const eligible = singleModelRoutes(stats, costScale).eligible;
  const strongest = pickStrongest(global);
  const unit = COST_UNITS[o.costMetric];
  const testLabels = assignClusters(fitted, testX);
  const clusterOf = new Int32Array(w.qids.length);
  split.train.forEach((q, i) => (clusterOf[q] = fitted.labels[i]));
  split.test.forEach((q, i) => (clusterOf[q] = testLabels[i]));

  o.onProgress('frontier', 0, 1);
  const frontier = fitFrontier(
    { w, train: split.train, clusterOf, k: fitted.k, pool, cost, metric: o.costMetric, costScale, strongest: pool[strongest] },
    { folds: o.folds, seed: o.seed, priorStrength: o.priorStrength, cascade: o.cascade, criterion: o.criterion, confidence: o.confidence, unit },
  );
  o.onProgress('frontier', 1, 1);

  const trainTasks = Array.from(split.train, (i) => w.tasks[i]);
  const config: TunedConfig = {
    version: TUNED_CONFIG_VERSION,
    createdAt: o.now().toISOString(),
    tool: o.tool,
    provenance: { sources: log.sources.map((s) => ({ path: s.path, sha256: s.sha256 })), seed: o.seed, tokensApproximate: log.tokensApproximate },
    split: { seed: o.seed, trainFraction: o.trainFraction, trainQids: Array.from(split.train, (i) => w.qids[i]), testQids: Array.from(split.test, (i) => w.qids[i]), testCount: split.test.length },
    cost: { metric: o.costMetric, scale: costScale, unit },
    pool: pool.map((m, p) => {
      const figures = { ...(log.prices[w.models[m]] ?? {}), ...(o.pricing.perModel?.[w.models[m]] ?? {}) };
      return { model: w.models[m], accuracy: 1 - global[p].errorRate, meanCost: global[p].meanCost, ...(Object.keys(figures).length > 0 && { figures }) };
    }),
    strongest: { model: w.models[pool[strongest]], accuracy: 1 - global[strongest].errorRate, meanCost: global[strongest].meanCost },
    embedder: {
      spec: o.embedder,
      id: embedder.id,
      dimensions: embedder.dimensions,
      state: embedder instanceof BuiltinEmbedder ? embedder.state : null,
    },
    clustering: {
      k: fitted.k,
      selection: o.k === 'auto' ? 'cv' : 'fixed',
      restarts: o.restarts,
      cvCurve: selection.cvCurve,
      silhouetteCurve: selection.silhouetteCurve,
      priorStrength: o.priorStrength,
    },
    clusters: stats.clusters.map((row, c) => ({
      centroid: Array.from(fitted.centroids.subarray(c * fitted.dimensions, (c + 1) * fitted.dimensions), (x) => Math.fround(x)),
      size: stats.sizes[c],
      topTask: topTask(trainTasks, (i) => fitted.labels[i] === c),
      stats: clusterStatsEntries(row, (p) => w.models[pool[p]], eligible[c]),
    })),
    crossFit: frontier.crossFit,
    lambda: 'error + λ·cost/cost.scale per query',
    regions: frontier.regions,
    stage1Regions: frontier.stage1Regions,
    operatingPoint: frontier.operatingPoint,
    stage2Skipped: frontier.stage2Skipped,
    cascade: frontier.cascade,
  };
  o.onProgress('evaluate', 0, 1);
  const report = buildReport({
    config,
    w,
    cost,
    rows: split.test,
    clusterOf,
    trainCount: split.train.length,
    evaluatedOn: 'test-split',
    bootstrap: { samples: o.bootstrapSamples, seed: o.seed },
  });
  o.onProgress('evaluate', 1, 1);
  return { config, report, candidates: frontier.summaries, fitted: { embeddings, labels: fitted.labels, testLabels, train: split.train, test: split.test } };
}

interface KSelection {
  fitted: FittedClusters;
  cvCurve: { k: number; score: number; se: number }[];
  silhouetteCurve: { k: number; score: number }[];
}

/**
 * Chooses k by routing quality: for each k, fold-wise k-means + routing on the other folds, scored
 * by the held-out frontier's AIQ over the held-out single-model cost range; the best mean wins
 * (ties: smaller k). The silhouette curve (for display, not for the choice) reuses each k's
 * first-fold centroids, so only the chosen k is fitted again on all of train.
 */
function chooseK(train: LabelledCells, trainX: Float32Array[], costScale: number, o: ResolvedTuneOptions): KSelection {
  const sample = new SilhouetteSample(trainX, 600, o.seed);
  const fitFull = (k: number) => new KMeansClusterer({ k, restarts: o.restarts, seed: o.seed }).fit(trainX);
  if (o.k !== 'auto') {
    o.onProgress('cluster', 0, 1);
    const fitted = fitFull(o.k);
    o.onProgress('cluster', 1, 1);
    return { fitted, cvCurve: [], silhouetteCurve: o.k >= 2 ? [{ k: o.k, score: sample.score(fitted.labels, o.k) }] : [] };
  }
  const ks = range(o.kRange[0], Math.min(o.kRange[1], trainX.length - 1));
  const cvRows = trainX.length <= o.cvMaxQueries ? null : permutation(trainX.length, mulberry32(o.seed ^ 0xc5)).slice(0, o.cvMaxQueries).sort();
  const cvCount = cvRows ? cvRows.length : trainX.length;
  const folds = foldsOf(cvCount, o.cvFolds, o.seed);
  const foldRows = range(0, o.cvFolds - 1).map((f) => {
    const inRows: number[] = [];
    const outRows: number[] = [];
    folds.forEach((fold, i) => (fold === f ? outRows : inRows).push(cvRows ? cvRows[i] : i));
    const outCells = subsetCells(train, outRows);
    const singles = range(0, outCells.models - 1).map((m) => routedTotals(outCells, new Int32Array(outRows.length).fill(m)));
    const costs = singles.filter((s) => s.answered > 0).map((s) => s.cost);
    return { inRows, outRows, inCells: subsetCells(train, inRows), outCells, inX: inRows.map((r) => trainX[r]), outX: outRows.map((r) => trainX[r]), cMin: Math.min(...costs), cMax: Math.max(...costs) };
  });
  const silhouetteCurve: { k: number; score: number }[] = [];
  const cvCurve: { k: number; score: number; se: number }[] = [];
  let best = { k: 1, score: -Infinity };
  // A k that cannot be fitted on every fold's training part is skipped, not an error: small logs are a normal case.
  const fittable = Math.min(...foldRows.map((f) => f.inX.length));
  ks.filter((k) => k <= fittable).forEach((k, i, usable) => {
    o.onProgress('choose k', i, usable.length);
    const scores = foldRows.map((f, fi) => {
      const fit = new KMeansClusterer({ k, restarts: CV_RESTARTS, seed: o.seed + 1000 * (fi + 1) }).fit(f.inX);
      const routes = singleModelRoutes(clusterStats(f.inCells.correct, f.inCells.cost, f.inCells.models, fit.labels, k, { priorStrength: o.priorStrength }), costScale);
      if (fi === 0 && k >= 2) silhouetteCurve.push({ k, score: sample.score(assignClusters(fit, trainX), k) });
      return aiq(routesOn(routes, f.outCells, assignClusters(fit, f.outX)), f.cMin, f.cMax);
    });
    const score = scores.reduce((a, b) => a + b / o.cvFolds, 0);
    const se = Math.sqrt(scores.reduce((a, x) => a + (x - score) ** 2, 0) / (o.cvFolds - 1) / o.cvFolds);
    cvCurve.push({ k, score, se });
    if (score > best.score + 1e-12) best = { k, score };
  });
  o.onProgress('choose k', ks.length, ks.length);
  return { fitted: fitFull(best.k), cvCurve, silhouetteCurve };
}

/** Every single-model region applied to labelled queries with known clusters. */
function routesOn(routes: SingleModelRoutes, cells: LabelledCells, labels: ArrayLike<number>) {
  return routes.regions.map((route) => routedTotals(cells, Int32Array.from(labels, (c) => route[c])));
}

function subsetCells(cells: LabelledCells, rows: readonly number[]): LabelledCells {
  const M = cells.models;
  const correct = new Int8Array(rows.length * M);
  const cost = new Float64Array(rows.length * M);
  rows.forEach((r, i) => {
    correct.set(cells.correct.subarray(r * M, r * M + M), i * M);
    cost.set(cells.cost.subarray(r * M, r * M + M), i * M);
  });
  return { correct, cost, models: M };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

export interface EvaluateOptions {
  /** Builds non-builtin embedders. Defaults to none. */
  embedderFactory?: EmbedderFactory;
  /** Bootstrap resamples. Defaults to `1000`. */
  bootstrapSamples?: number;
  onProgress?: TuneProgress;
}

/**
 * Evaluates a tuned config on a run log, over the models of its pool. When the log holds every
 * query the config was tuned on, only its held-out queries are evaluated (the config's own test
 * split, so a config tuned on a task slice is not judged on the other tasks); otherwise all of them.
 */
export async function evaluateTunedConfig(config: TunedConfig, log: RunLog, options: EvaluateOptions = {}): Promise<TuneResult['report']> {
  const onProgress = options.onProgress ?? DEFAULTS.onProgress;
  // Only the pool's models: those the config was tuned on, whose answers its QE can read.
  const w = buildWorkload(withModels(log, config.pool.map((p) => p.model)));
  const perModel = Object.fromEntries(config.pool.filter((p) => p.figures).map((p) => [p.model, p.figures!]));
  const cost = costMatrix(w, config.cost.metric, { prices: log.prices, perModel });
  const known = new Set(w.qids);
  const onTestSplit = config.split.trainQids.every((q) => known.has(q));
  const split = onTestSplit ? splitByTrainQids(w.qids, config.split.trainQids, config.split.testQids) : { train: new Int32Array(0), test: Int32Array.from(w.qids, (_, i) => i) };
  if (split.test.length === 0) throw new InvalidInputError('the run log has no queries outside the config\'s train split to evaluate on', 'run log');
  const embedder = config.embedder.state
    ? BuiltinEmbedder.fromState(config.embedder.state, 'config: embedder.state')
    : await makeEmbedder(config.embedder.spec, [], config.provenance.seed, options.embedderFactory);
  if (embedder.id !== config.embedder.id) {
    throw new InvalidInputError(`the embedder's id ${embedder.id} differs from the one the config was tuned with (${config.embedder.id})`, 'config: embedder.id');
  }
  const testX = await embedAll(embedder, Array.from(split.test, (i) => w.prompts[i]), onProgress);
  const testLabels = assignClusters({ centroids: flatCentroids(config), dimensions: config.embedder.dimensions }, testX);
  const clusterOf = new Int32Array(w.qids.length);
  split.test.forEach((q, i) => (clusterOf[q] = testLabels[i]));
  return buildReport({
    config, w, cost, rows: split.test, clusterOf, trainCount: split.train.length, evaluatedOn: onTestSplit ? 'test-split' : 'all-queries',
    bootstrap: { samples: options.bootstrapSamples ?? DEFAULTS.bootstrapSamples, seed: config.provenance.seed },
  });
}
