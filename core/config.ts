import { z } from 'zod';
import { CascadeConfigSchema, ClusterPlanSchema, cascadeProblem, plansProblem, type ClusterPlan } from './cascade/plan.js';
import { CostMetricSchema, ModelCostFiguresSchema } from './cost.js';
import { EmbedderSpecSchema } from './embedder.js';
import { BuiltinEmbedderStateSchema } from './embed/tfidf.js';
import { InvalidInputError, UnsupportedVersionError } from './errors.js';
import { TpotBackendsSchema } from './hardware.js';
import { nearestCentroid } from './cluster.js';
import { certificateOf, pickOperatingPoint, type OperatingChoice, type OperatingCriterion } from './frontier/operating-point.js';
import { issuePath } from './runlog.js';
import type { ModelClusterStats } from './stats.js';

/** The tuned-config format version this build reads and writes (2: one joint frontier of per-cluster plans, cross-fitted and certified). */
export const TUNED_CONFIG_VERSION = 2;

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
  kind: z.enum(['reference', 'frontier']).describe('reference: the strongest model everywhere (the retention anchor, and the answer when nothing cheaper certifies); frontier: a region of the λ sweep.'),
  lambdaFrom: z.number().nonnegative(),
  lambdaTo: z.number().nonnegative().nullable().describe('null: unbounded.'),
  plans: z.array(ClusterPlanSchema).min(1).describe('One plan per cluster; a single model is the plan "answer with M".'),
  expected: z.object({
    accuracy: Probability,
    cost: z.number().nonnegative(),
    costSd: z.number().nonnegative(),
    escalationRate: Probability,
    retention: z.number().nonnegative(),
    n: z.number().int().positive().describe('Train queries behind the figures.'),
    retentionLower: z.number().nonnegative().nullable().describe('Certified retention lower bound at the operating point\'s confidence; null at confidence 0.'),
  }).describe('Out-of-sample (cross-fitted) figures over every train query, every pass paid.'),
  evidence: z.string().describe('Per train query, 2·(strongest right) + (region right), packed four to a byte, base64, in a seeded order: what certificates are computed from.'),
  guarded: z.array(z.number().int().nonnegative()).describe('Clusters whose stage-2 plan was set back to the best single model because its out-of-sample gain was not supported.'),
});
export type Region = z.infer<typeof RegionSchema>;

const CertificateSchema = z.object({
  retentionLower: z.number().nonnegative(),
  costUpper: z.number().nonnegative().nullable(),
  confidence: z.number().gt(0).lt(1),
  method: z.string(),
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

const KCurvePointSchema = z.object({
  k: z.number().int().positive(),
  score: z.number(),
  /** Standard error of the mean across the CV folds (cvCurve only; configs made before it lack it). */
  se: z.number().nonnegative().optional(),
});

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
    trainQids: z.array(z.string()).describe('The queries tuned on.'),
    testQids: z.array(z.string()).optional().describe('The held-out queries the report measured; eval evaluates on these when the run log holds the train queries (on the others, in a config that lacks the list).'),
    testCount: z.number().int().nonnegative(),
  }),
  cost: z.object({
    metric: CostMetricSchema,
    scale: z.number().positive().describe('cost_norm = cost / scale, so λ is unitless: the largest mean cost per query of any pool model on train.'),
    unit: z.string(),
  }),
  pool: z.array(PoolEntrySchema).min(1).describe('The models plans may name.'),
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
  crossFit: z.object({
    folds: z.number().int().min(2),
    seed: z.number().int(),
    guard: z.number().nonnegative().describe('Standard errors by which a stage-2 plan\'s out-of-sample gain must exceed 0 to be kept.'),
  }).describe('How the regions\' figures were estimated: K-fold cross-fitting over all of train.'),
  lambda: z.literal('error + λ·cost/cost.scale per query').describe('The one meaning of λ.'),
  regions: z.array(RegionSchema).min(2).describe('The reference region, then the joint frontier of per-cluster plans in increasing λ.'),
  stage1Regions: z.array(RegionSchema).min(2).nullable().describe('The same sweep over single-model plans (stage 1 alone), for comparison; null when regions already are that.'),
  operatingPoint: z.object({
    criterion: CriterionSchema,
    confidence: z.number().min(0).lt(1).describe('0: the cross-fitted point estimate decides, uncertified.'),
    region: z.number().int().nonnegative().describe('Index into regions: the plans serving applies.'),
    certified: CertificateSchema.nullable(),
    note: z.string().nullable().describe('Said when the criterion fell back to the reference region.'),
  }),
  stage2Skipped: z.string().nullable().describe('Why stage 2 was not tuned, when it was asked for but the data could not support it.'),
  cascade: CascadeConfigSchema.nullable().describe('Stage 2 machinery (QE, ladder, answer kinds, caps); null for stage 1 alone.'),
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
  const problem = regionsProblem(config);
  if (problem) throw new InvalidInputError(problem, where);
  config.clusters.forEach((c, i) => {
    if (c.centroid.length !== config.embedder.dimensions) {
      throw new InvalidInputError(`field "clusters[${i}].centroid": expected ${config.embedder.dimensions} dimensions, got ${c.centroid.length}`, where);
    }
  });
  if (config.operatingPoint.region >= config.regions.length) {
    throw new InvalidInputError(`field "operatingPoint.region": ${config.operatingPoint.region} is not below ${config.regions.length}`, where);
  }
  const cascadeIssue = config.cascade && cascadeProblem(config.cascade, K);
  if (cascadeIssue) throw new InvalidInputError(cascadeIssue, where);
  return config;
}

/** Cross-field checks of the regions: one plan per cluster, every model in the pool, QE plans only with stage 2. */
function regionsProblem(config: TunedConfig): string | null {
  const K = config.clusters.length;
  const known = new Set(config.pool.map((p) => p.model));
  const lists: [string, Region[]][] = [['regions', config.regions], ...(config.stage1Regions ? [['stage1Regions', config.stage1Regions] as [string, Region[]]] : [])];
  for (const [name, regions] of lists) {
    for (const [i, r] of regions.entries()) {
      const problem = plansProblem(r.plans, K, known);
      if (problem) return `field "${name}[${i}].plans${problem}`;
      if (!config.cascade && r.plans.some((p) => p.action !== 'answer')) return `field "${name}[${i}].plans": a stage-2 plan needs the config's "cascade" section`;
    }
  }
  return null;
}

/** Centroids as one flat row-major array, for nearestCentroid on the hot path. */
export function flatCentroids(config: TunedConfig): Float64Array {
  const d = config.embedder.dimensions;
  const out = new Float64Array(config.clusters.length * d);
  config.clusters.forEach((c, i) => out.set(c.centroid, i * d));
  return out;
}

const flatCache = new WeakMap<TunedConfig, Float64Array>();

/** The cluster of one embedded query (nearest centroid). */
export function clusterOfEmbedding(config: TunedConfig, embedding: ArrayLike<number>): number {
  if (embedding.length !== config.embedder.dimensions) {
    throw new InvalidInputError(`embedding has ${embedding.length} dimensions, the config's embedder has ${config.embedder.dimensions}`, 'routeEmbedding');
  }
  let flat = flatCache.get(config);
  if (!flat) {
    flat = flatCentroids(config);
    flatCache.set(config, flat);
  }
  return nearestCentroid(flat, config.embedder.dimensions, embedding);
}

/** Routes one embedded query: nearest centroid, then that cluster's plan in the operating region (or `region`). */
export function routeEmbedding(config: TunedConfig, embedding: ArrayLike<number>, region = config.operatingPoint.region): { cluster: number; plan: ClusterPlan } {
  const cluster = clusterOfEmbedding(config, embedding);
  return { cluster, plan: config.regions[region].plans[cluster] };
}

/** Re-picks the operating point from the stored regions (no re-clustering, no re-tuning). */
export function repickOperatingPoint(config: TunedConfig, criterion: OperatingCriterion, confidence = config.operatingPoint.confidence): OperatingChoice {
  return pickOperatingPoint(config.regions, criterion, confidence, config.cost.unit);
}

/** Each region's certified retention lower bound at a confidence (null at 0). */
export function withRetentionLower(regions: Region[], confidence: number): Region[] {
  return regions.map((r) => ({ ...r, expected: { ...r.expected, retentionLower: confidence > 0 ? certificateOf(r, confidence).retentionLower : null } }));
}

/** A copy of the config with a new operating point (and, when the confidence changes, the regions' bounds at it). */
export function withOperatingPoint(config: TunedConfig, criterion: OperatingCriterion, confidence = config.operatingPoint.confidence): TunedConfig {
  const choice = repickOperatingPoint(config, criterion, confidence);
  const same = confidence === config.operatingPoint.confidence;
  return {
    ...config,
    ...(!same && { regions: withRetentionLower(config.regions, confidence), stage1Regions: config.stage1Regions && withRetentionLower(config.stage1Regions, confidence) }),
    operatingPoint: { criterion, confidence, ...choice },
  };
}

/** The plans serving applies: the operating region's. */
export function servedPlans(config: TunedConfig, region = config.operatingPoint.region): ClusterPlan[] {
  return config.regions[region].plans;
}
