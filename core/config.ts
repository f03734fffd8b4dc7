import { z } from 'zod';
import { CascadeConfigSchema, cascadeProblem } from './cascade/plan.js';
import { CostMetricSchema, ModelCostFiguresSchema } from './cost.js';
import { EmbedderSpecSchema } from './embedder.js';
import { BuiltinEmbedderStateSchema } from './embed/tfidf.js';
import { InvalidInputError, UnsupportedVersionError } from './errors.js';
import { nearestCentroid } from './cluster.js';
import { pickOperatingPoint, type LambdaRegion, type OperatingCriterion } from './routing.js';
import { issuePath } from './runlog.js';

/** The tuned-config format version this build reads and writes. */
export const TUNED_CONFIG_VERSION = 1;

const Probability = z.number().min(0).max(1);

const ModelStatsSchema = z.object({
  model: z.string(),
  /** Answered train queries of this cluster (unanswered ones are excluded, never counted wrong). */
  n: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  /** Raw error rate; null when the model answered none of the cluster's queries. */
  errorRate: Probability.nullable(),
  /** Error rate shrunk towards the model's global train rate (Beta prior). */
  shrunkErrorRate: Probability,
  /** 90% posterior interval of the shrunk rate. */
  interval: z.tuple([Probability, Probability]),
  /** Mean cost per query in the metric's units. */
  meanCost: z.number().nonnegative(),
  /** False when Pareto-dominated within the cluster (never routed to). */
  eligible: z.boolean(),
});

const ClusterSchema = z.object({
  /** Centroid in embedding space. */
  centroid: z.array(z.number()),
  /** Train queries in the cluster. */
  size: z.number().int().nonnegative(),
  /** Most common task among its train queries, for labels. */
  topTask: z.string(),
  stats: z.array(ModelStatsSchema),
});

const RegionSchema = z.object({
  lambdaFrom: z.number().nonnegative(),
  /** null: unbounded. */
  lambdaTo: z.number().nonnegative().nullable(),
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
  /** Train accuracy over answered queries. */
  accuracy: Probability,
  /** Mean cost per query on train, in the metric's units. */
  meanCost: z.number().nonnegative(),
  /** Cost figures the tune used where the log had none (prices or pool-file figures). */
  figures: ModelCostFiguresSchema.optional(),
});

const KCurvePointSchema = z.object({ k: z.number().int().positive(), score: z.number() });

/** The versioned output of `cascade-lab tune`: everything serving needs, and how it was made. */
export const TunedConfigSchema = z.object({
  version: z.literal(TUNED_CONFIG_VERSION),
  createdAt: z.string(),
  tool: z.object({ name: z.string(), version: z.string() }),
  provenance: z.object({
    sources: z.array(z.object({ path: z.string(), sha256: z.string() })),
    seed: z.number().int(),
    tokensApproximate: z.boolean(),
  }),
  split: z.object({
    seed: z.number().int(),
    trainFraction: z.number().gt(0).lt(1),
    trainQids: z.array(z.string()),
    testCount: z.number().int().nonnegative(),
  }),
  cost: z.object({
    metric: CostMetricSchema,
    /** cost_norm = cost / scale, so λ is unitless: the largest mean cost per query of any pool model on train. */
    scale: z.number().positive(),
    unit: z.string(),
  }),
  pool: z.array(PoolEntrySchema).min(1),
  /** The strongest model: highest train accuracy (ties: cheaper). Retention is measured against it. */
  strongest: z.object({ model: z.string(), accuracy: Probability, meanCost: z.number().nonnegative() }),
  embedder: z.object({
    spec: EmbedderSpecSchema,
    /** The id the embedder had when fitted; serving checks it matches. */
    id: z.string(),
    dimensions: z.number().int().positive(),
    /** Fitted state of the built-in embedder; null for external ones. */
    state: BuiltinEmbedderStateSchema.nullable(),
  }),
  clustering: z.object({
    k: z.number().int().positive(),
    /** How k was chosen: fixed by hand, or by routing-quality cross-validation within train. */
    selection: z.enum(['fixed', 'cv']),
    restarts: z.number().int().positive(),
    /** Mean held-out AIQ per k (cross-validation within train); empty when k was fixed. */
    cvCurve: z.array(KCurvePointSchema),
    /** Silhouette per k ≥ 2 on a seeded sample of train. */
    silhouetteCurve: z.array(KCurvePointSchema),
    priorStrength: z.number().nonnegative(),
  }),
  clusters: z.array(ClusterSchema).min(1),
  regions: z.array(RegionSchema).min(1),
  operatingPoint: z.object({
    criterion: CriterionSchema,
    /** Index into regions. */
    region: z.number().int().nonnegative(),
  }),
  /** Stage 2 (QE, ladder, per-cluster plans); absent when the config routes with stage 1 alone. */
  cascade: CascadeConfigSchema.optional(),
});
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
