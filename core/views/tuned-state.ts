import type { OperatingPoint, OperatingPointRequest } from '../app-api.js';
import { describePlan, planModels, withQeThreshold } from '../cascade/plan.js';
import { assignClusters } from '../cluster.js';
import { flatCentroids, withOperatingPoint, type TunedConfig } from '../config.js';
import { InvalidInputError } from '../errors.js';
import type { ClusterCandidates } from '../frontier/build.js';
import { costBound } from '../frontier/operating-point.js';
import { textDigest } from '../hash.js';
import { qeScorer } from '../qe/dataset.js';
import { LearnedQe } from '../qe/model.js';
import { buildReport, type EngineReport } from '../report.js';
import { splitByTrainQids } from '../split.js';
import type { Workload } from '../workload.js';

/** What one tune leaves behind for the views: the engine's output plus per-query labels. */
export interface TunedState {
  config: TunedConfig;
  report: EngineReport;
  kMode: 'auto' | 'fixed';
  /** How long the tune took when it ran. */
  durationMs: number;
  /** Read back from the tune cache rather than computed for this workspace. */
  fromCache: boolean;
  simulated: boolean;
  /** The workspace's label. */
  dataSet: string;
  /** Per cluster, the plans the tune compared; null for an imported config. */
  candidates: ClusterCandidates[] | null;
  /** The workload the config was tuned on. */
  w: Workload;
  /** Every workload row's embedding under the config's embedder (the cluster map projects them). */
  embeddings: readonly Float32Array[];
  /** Cost of every workload cell in the config's metric (NaN where unknown). */
  cost: Float64Array;
  /** Nearest-centroid cluster of every workload row. */
  clusterOf: Int32Array;
  /** Workload rows of the test split, in workload order. */
  testRows: number[];
  isTest: Uint8Array;
  /** Calibrated QE score of an answered cell, when the config has a cascade (stage 2). */
  score: ((q: number, m: number) => number) | null;
  /** The current operating point: its region, and the λ or budget the user set. */
  region: number;
  /** True once a QE threshold was edited by hand: the region's plans differ from the tuned ones. */
  manualOverride: boolean;
  /** The regions as tuned, restored when the operating point moves after a manual override. */
  tunedRegions: TunedConfig['regions'];
  lambda: number;
  budget: number | null;
}

export type TunedStateInput = Pick<TunedState, 'config' | 'report' | 'kMode' | 'durationMs' | 'fromCache' | 'simulated' | 'dataSet' | 'candidates' | 'w' | 'embeddings' | 'cost'>;

/** Throws when the config routes to a model the workload lacks: its views could not be computed. */
export function checkConfigModels(config: TunedConfig, w: Workload): void {
  for (const p of config.pool) {
    if (!w.models.includes(p.model)) throw new InvalidInputError(`the config routes to model "${p.model}", which the workspace's run log does not have`, 'tuned config');
  }
}

/**
 * Labels every workload row with its cluster (the config's centroids over the rows' embeddings)
 * and its split, and starts at the config's own operating point. A config routing to a model the
 * workload lacks is an error.
 */
export function tunedState(input: TunedStateInput): TunedState {
  const { config, w } = input;
  checkConfigModels(config, w);
  const clusterOf = assignClusters({ centroids: flatCentroids(config), dimensions: config.embedder.dimensions }, input.embeddings);
  // The split as eval reads it: a tune on a slice held out only the slice's other queries.
  const { test } = splitByTrainQids(w.qids, config.split.trainQids, config.split.testQids);
  const isTest = new Uint8Array(w.qids.length);
  for (const q of test) isTest[q] = 1;
  const region = config.operatingPoint.region;
  return {
    ...input, clusterOf, isTest, testRows: w.qids.flatMap((_, q) => (isTest[q] ? [q] : [])),
    score: config.cascade ? qeScorer(new LearnedQe(config.cascade.qe), w, clusterOf) : null,
    region, lambda: config.regions[region].lambdaFrom, budget: null, manualOverride: false, tunedRegions: config.regions,
  };
}

export const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/** Test-split figures of region `i`, every pass paid. */
export function regionFigures(t: TunedState, i: number) {
  const p = t.report.frontier[i];
  const s = t.report.strongest;
  const costRatio = ratio(p.cost, s.cost);
  return {
    accuracy: p.accuracy,
    costPerQuery: p.cost,
    retention: ratio(p.accuracy, s.accuracy),
    costReduction: costRatio === null ? null : 1 - costRatio,
    escalationRate: p.escalationRate,
  };
}

/** The model each cluster's plan tries first in a region. */
export function firstModels(t: TunedState, region: number): string[] {
  return t.config.regions[region].plans.map((p) => planModels(p)[0]);
}

/** A region's cross-fitted figures on train and its certified retention bound. */
export function expectedOf(t: TunedState, region: number) {
  const e = t.config.regions[region].expected;
  return {
    accuracy: e.accuracy, costPerQuery: e.cost, retention: e.retention, escalationRate: e.escalationRate, retentionLower: e.retentionLower,
    costBound: costBound(e, t.config.operatingPoint.confidence),
  };
}

const configIds = new WeakMap<TunedConfig, string>();
/** A short id of the config as `exportConfig` writes it (the core has no crypto, and an id needs none). */
export function configId(config: TunedConfig): string {
  let id = configIds.get(config);
  if (!id) configIds.set(config, (id = textDigest(JSON.stringify(config)).slice(0, 12)));
  return id;
}

export function operatingPoint(t: TunedState): OperatingPoint {
  const op = t.config.operatingPoint;
  const region = t.config.regions[t.region];
  return {
    lambda: t.lambda, budget: t.budget, ...regionFigures(t, t.region), routing: firstModels(t, t.region), region: t.region,
    kind: region.kind, plans: region.plans.map(describePlan), expected: expectedOf(t, t.region),
    certified: op.certified, confidence: op.confidence, note: op.note, manualOverride: t.manualOverride, configId: configId(t.config),
  };
}

/** Test-split figures again after the served plans changed by hand. */
export function reevaluate(t: TunedState): EngineReport {
  return buildReport({ config: t.config, w: t.w, cost: t.cost, rows: t.testRows, clusterOf: t.clusterOf, trainCount: t.report.split.train, evaluatedOn: t.report.evaluatedOn, bootstrap: { samples: t.report.ci.samples, seed: t.config.provenance.seed } });
}

/**
 * Moves the state to the region a λ or a budget picks. A hand-set threshold belonged to the
 * operating point left behind: every region serves its tuned plans again, the same one included.
 */
export function moveOperatingPoint(t: TunedState, request: OperatingPointRequest): void {
  const criterion = 'lambda' in request ? { kind: 'lambda' as const, lambda: request.lambda } : { kind: 'budget' as const, budget: request.budget };
  const config = t.manualOverride ? { ...t.config, regions: t.tunedRegions } : t.config;
  t.config = withOperatingPoint(config, criterion);
  t.region = t.config.operatingPoint.region;
  t.lambda = 'lambda' in request ? request.lambda : t.config.regions[t.region].lambdaFrom;
  t.budget = 'budget' in request ? request.budget : null;
  if (t.manualOverride) {
    t.manualOverride = false;
    t.report = reevaluate(t);
  }
}

/**
 * Sets the first QE threshold of every served plan that starts on `model` (or of all), marks the
 * region as a manual override of the tuned plans and re-evaluates on test. Returns how many
 * plans changed; with none, the state is left as it was.
 */
export function overrideQeThreshold(t: TunedState, threshold: number, model?: string): number {
  const { plans, changed } = withQeThreshold(t.config.regions[t.region].plans, threshold, model);
  if (changed === 0) return 0;
  t.config = { ...t.config, regions: t.config.regions.map((r, i) => (i === t.region ? { ...r, plans } : r)) };
  t.manualOverride = true;
  t.report = reevaluate(t);
  return changed;
}
