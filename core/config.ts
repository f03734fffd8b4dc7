import { z } from 'zod';
import { CascadeConfigSchema, cascadeProblem } from './cascade/plan.js';
import { CostMetricSchema, ModelCostFiguresSchema } from './cost.js';
import { EmbedderSpecSchema } from './embedder.js';
import { BuiltinEmbedderStateSchema } from './embed/tfidf.js';
import { InvalidInputError, UnsupportedVersionError } from './errors.js';
import { TpotBackendsSchema } from './hardware.js';
import { nearestCentroid } from './cluster.js';
import { pickOperatingPoint, type LambdaRegion, type OperatingCriterion } from './routing.js';
import { issuePath } from './runlog.js';
import type { ModelClusterStats } from './stats.js';

/** The tuned-config format version this build reads and writes. */
export const TUNED_CONFIG_VERSION = 1;

const Probability = z.number().min(0).max(1);

const ModelStatsSchema = z.object({
  model: z.string(),
  n: z.number().int().nonnegative().describe('Answered train queries of this cluster (unanswered ones are excluded, never counted wrong).'),
  errors: z.number().int().nonnegative(),
  errorRate: Probability.nullable().describe('Raw error rate; null when the model answered none of the cluster\'s queries.'),
  shrunkErrorRate: Probability.describe('Error rate shrunk towards the model\'s global train rate (Beta prior).'),
  interval: z.tuple([Probability, Probability]).describe('90% posterior interval of the shrunk rate.'),
  meanCost: z.number().nonnegative().describe('Mean cost per query in the metric\'s units.'),
  eligible: z.boolean().describe('False when Pareto-dominated within the cluster (never routed to).'),
});

const ClusterSchema = z.object({
  centroid: z.array(z.number()).describe('Centroid in embedding space.'),
  size: z.number().int().nonnegative().describe('Train queries in the cluster.'),
  topTask: z.string().describe('Most common task among its train queries, for labels.'),
  stats: z.array(ModelStatsSchema),
});

const RegionSchema = z.object({
  lambdaFrom: z.number().nonnegative(),
  lambdaTo: z.number().nonnegative().nullable().describe('null: unbounded.'),
  route: z.array(z.number().int().nonnegative()),
  expectedAccuracy: Probability,
  expectedCost: z.number().nonnegative(),
});

const CriterionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('budget'), budget: z.number().nonnegative() }),
  z.object({ kind: z.literal('targetRetention'), targetRetention: z.number().positive() }),
  z.object({ kind: z.literal('lambda'), lambda: z.number().nonnegative() }),
]);

const PoolEntrySchema = z.object({
  model: z.string(),
  accuracy: Probability.describe('Train accuracy over answered queries.'),
  meanCost: z.number().nonnegative().describe('Mean cost per query on train, in the metric\'s units.'),
  figures: ModelCostFiguresSchema.optional().describe('Cost figures the tune used where the log had none (prices or pool-file figures).'),
});

const KCurvePointSchema = z.object({ k: z.number().int().positive(), score: z.number() });

/** One cluster's routing-table row as the config stores it; `modelOf(i)` names the model of `row[i]`. */
export function clusterStatsEntries(row: ModelClusterStats[], modelOf: (i: number) => string, eligible: boolean[]): z.infer<typeof ModelStatsSchema>[] {
  return row.map((s, i) => ({
    model: modelOf(i),
    n: s.n,
    errors: s.errors,
    errorRate: Number.isNaN(s.errorRate) ? null : s.errorRate,
    shrunkErrorRate: s.shrunkErrorRate,
    interval: s.interval,
    meanCost: s.meanCost,
    eligible: eligible[i],
  }));
}

/** The versioned output of `cascade-lab tune`: everything serving needs, and how it was made. */
export const TunedConfigSchema = z
  .object({
  version: z.literal(TUNED_CONFIG_VERSION).describe('Format version; a build reads only its own version.'),
  createdAt: z.string().describe('ISO 8601 time the config was made.'),
  tool: z.object({ name: z.string(), version: z.string() }),
  provenance: z.object({
    sources: z.array(z.object({ path: z.string(), sha256: z.string() })),
    seed: z.number().int(),
    tokensApproximate: z.boolean(),
    backend: TpotBackendsSchema.optional(),
  }),
  split: z.object({
    seed: z.number().int(),
    trainFraction: z.number().gt(0).lt(1),
    trainQids: z.array(z.string()).describe('The queries tuned on; eval evaluates on the others.'),
    testCount: z.number().int().nonnegative(),
  }),
  cost: z.object({
    metric: CostMetricSchema,
    scale: z.number().positive().describe('cost_norm = cost / scale, so λ is unitless: the largest mean cost per query of any pool model on train.'),
    unit: z.string(),
  }),
  pool: z.array(PoolEntrySchema).min(1).describe('The models routed among; regions[].route holds indices into this list.'),
  strongest: z.object({ model: z.string(), accuracy: Probability, meanCost: z.number().nonnegative() }).describe('The strongest model: highest train accuracy (ties: cheaper). Retention is measured against it.'),
  embedder: z.object({
    spec: EmbedderSpecSchema,
    id: z.string().describe('The id the embedder had when fitted; serving checks it matches.'),
    dimensions: z.number().int().positive(),
    state: BuiltinEmbedderStateSchema.nullable().describe('Fitted state of the built-in embedder; null for external ones.'),
  }),
  clustering: z.object({
    k: z.number().int().positive(),
    selection: z.enum(['fixed', 'cv']).describe('How k was chosen: fixed by hand, or by routing-quality cross-validation within train.'),
    restarts: z.number().int().positive(),
    cvCurve: z.array(KCurvePointSchema).describe('Mean held-out AIQ per k (cross-validation within train); empty when k was fixed.'),
    silhouetteCurve: z.array(KCurvePointSchema).describe('Silhouette per k ≥ 2 on a seeded sample of train.'),
    priorStrength: z.number().nonnegative(),
  }),
  clusters: z.array(ClusterSchema).min(1).describe('Per cluster: centroid and the routing table (per-model stats on train).'),
  regions: z.array(RegionSchema).min(1).describe('Exact λ regions in increasing λ: the route is constant within each.'),
  operatingPoint: z.object({
    criterion: CriterionSchema,
    region: z.number().int().nonnegative().describe('Index into regions.'),
  }),
  cascade: CascadeConfigSchema.optional().describe('Stage 2 (QE, ladder, per-cluster plans); absent when the config routes with stage 1 alone.'),
  })
  .describe('The output of `cascade-lab tune`: everything serving needs to route a query, and how it was made.');
export type TunedConfig = z.infer<typeof TunedConfigSchema>;

/**
 * Parses a tuned config, refusing other format versions with a message that says which
 * version this build reads, before any other field is checked.
 */
export function parseTunedConfig(raw: unknown, where = 'tuned config'): TunedConfig {
  const version = typeof raw === 'object' && raw !== null ? (raw as { version?: unknown }).version : undefined;
  if (version !== TUNED_CONFIG_VERSION) {
    throw new UnsupportedVersionError(
      `tuned config version ${JSON.stringify(version)} is not supported: this build reads version ${TUNED_CONFIG_VERSION}; re-run \`cascade-lab tune\` to make one`,
      where,
    );
  }
  const parsed = TunedConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(`field "${issuePath(issue.path)}": ${issue.message}`, where);
  }
  const config = parsed.data;
  const K = config.clusters.length;
  const M = config.pool.length;
  config.regions.forEach((r, i) => {
    if (r.route.length !== K || r.route.some((m) => m >= M)) {
      throw new InvalidInputError(`field "regions[${i}].route": expected ${K} model indices below ${M}`, where);
    }
  });
  config.clusters.forEach((c, i) => {
    if (c.centroid.length !== config.embedder.dimensions) {
      throw new InvalidInputError(`field "clusters[${i}].centroid": expected ${config.embedder.dimensions} dimensions, got ${c.centroid.length}`, where);
    }
  });
  if (config.operatingPoint.region >= config.regions.length) {
    throw new InvalidInputError(`field "operatingPoint.region": ${config.operatingPoint.region} is not below ${config.regions.length}`, where);
  }
  const cascadeIssue = config.cascade && cascadeProblem(config.cascade, config.clusters.length, config.pool.map((p) => p.model));
  if (cascadeIssue) throw new InvalidInputError(cascadeIssue, where);
  return config;
}

/** Centroids as one flat row-major array, for nearestCentroid on the hot path. */
export function flatCentroids(config: TunedConfig): Float64Array {
  const d = config.embedder.dimensions;
  const out = new Float64Array(config.clusters.length * d);
  config.clusters.forEach((c, i) => out.set(c.centroid, i * d));
  return out;
}

const flatCache = new WeakMap<TunedConfig, Float64Array>();

/**
 * Routes one embedded query: nearest centroid, then that cluster's model at the operating point
 * (the config's own, or `region` when the caller re-picked one).
 */
export function routeEmbedding(config: TunedConfig, embedding: ArrayLike<number>, region = config.operatingPoint.region): { cluster: number; model: string } {
  if (embedding.length !== config.embedder.dimensions) {
    throw new InvalidInputError(`embedding has ${embedding.length} dimensions, the config's embedder has ${config.embedder.dimensions}`, 'routeEmbedding');
  }
  let flat = flatCache.get(config);
  if (!flat) {
    flat = flatCentroids(config);
    flatCache.set(config, flat);
  }
  const cluster = nearestCentroid(flat, config.embedder.dimensions, embedding);
  return { cluster, model: config.pool[config.regions[region].route[cluster]].model };
}

/** Re-picks the operating point from the stored regions (no re-clustering); returns the region index. */
export function repickOperatingPoint(config: TunedConfig, criterion: OperatingCriterion): number {
  return pickOperatingPoint(config.regions as LambdaRegion[], criterion, config.strongest.accuracy, config.cost.unit);
}

/** A copy of the config with a new operating point. */
export function withOperatingPoint(config: TunedConfig, criterion: OperatingCriterion): TunedConfig {
  return { ...config, operatingPoint: { criterion, region: repickOperatingPoint(config, criterion) } };
}
