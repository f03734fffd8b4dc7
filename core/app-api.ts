/**
 * The one contract between the renderer and the rest of Cascade Lab. The renderer imports
 * these types and nothing else; the Electron IPC bridge and the HTTP + WebSocket bridge
 * both carry exactly these methods, and validate every message with the schemas below.
 *
 * Numbers that the engine may not know (an unanswered cell, a tier without a price) cross
 * the bridge as `null`, never NaN, because JSON has no NaN.
 */
import { z } from 'zod';
import { CostMetricSchema } from './cost.js';
import { CascadeLabError } from './errors.js';
import { BackendReportSchema, TierFitSchema, TierOffloadSchema } from './hardware.js';
import { PoolFileSchema, type PoolFile } from './pool.js';

/** Bumped when a method or message changes incompatibly. */
export const APP_API_VERSION = 1;

const num = z.number().finite();
const maybeNum = num.nullable();
const nonNeg = num.nonnegative();
const name = z.string().min(1).max(200);
const id = z.string().min(1).max(200);

// ---------------------------------------------------------------------------------------
// Workspace: data sets, pool, settings

/**
 * Which column of a CSV/TSV/JSONL run log (one row per (query, model) answer) holds each field,
 * keyed by the shared data format's field names. A field left out is read from the column of its own name.
 */
export const ColumnMapSchema = z.object({
  qid: name.optional(),
  model: name.optional(),
  prompt: name.optional(),
  response: name.optional(),
  correct: name.optional(),
  answer: name.optional(),
  reference: name.optional(),
  task: name.optional(),
  prompt_tokens: name.optional(),
  output_tokens: name.optional(),
  cost_usd: name.optional(),
  ttft_ms: name.optional(),
  tpot_ms: name.optional(),
  latency_ms: name.optional(),
}).strict();
export type ColumnMap = z.infer<typeof ColumnMapSchema>;

/** Where a workspace's run log comes from. */
export const WorkspaceSourceSchema = z.discriminatedUnion('kind', [
  /** One of `listDataSets()`'s entries (the built-in simulated pool among them). */
  z.object({ kind: z.literal('dataset'), id }),
  /** A folder in the shared run-log format, or a CSV/JSONL file, on the machine running the engine. */
  z.object({ kind: z.literal('path'), path: z.string().min(1).max(4096), columnMap: ColumnMapSchema.optional() }),
  /** File contents picked in the browser (browser mode cannot hand over a path). */
  z.object({
    kind: z.literal('upload'),
    fileName: name,
    format: z.enum(['csv', 'jsonl']),
    text: z.string().max(200 * 1024 * 1024),
    columnMap: ColumnMapSchema.optional(),
  }),
]);
export type WorkspaceSource = z.infer<typeof WorkspaceSourceSchema>;

export const DataSetInfoSchema = z.object({
  id,
  label: z.string(),
  /** Shared-format folder, lm-eval output folder, or the seeded simulated pool made by the project. */
  kind: z.enum(['shared-folder', 'lm-eval-folder', 'simulated']),
  path: z.string(),
  /** True for made-up data: the UI must say so wherever it shows results. */
  simulated: z.boolean(),
  description: z.string(),
});
export type DataSetInfo = z.infer<typeof DataSetInfoSchema>;

export { CostMetricSchema, type CostMetric } from './cost.js';
export { PoolFileSchema, type PoolFile, type TierSpec } from './pool.js';

export const SplitSchema = z.object({
  /** Share of queries used to tune; the rest evaluate. */
  trainFraction: z.number().gt(0).lt(1),
  seed: z.number().int().nonnegative(),
});
export type Split = z.infer<typeof SplitSchema>;

export const SettingsSchema = z.object({ costMetric: CostMetricSchema, split: SplitSchema });
export type Settings = z.infer<typeof SettingsSchema>;

export const ModelSummarySchema = z.object({
  model: name,
  /** Share correct among answered queries. */
  accuracy: maybeNum,
  answered: z.number().int().nonnegative(),
  /** Mean cost per answered query in the workspace's cost metric. */
  meanCost: maybeNum,
  /** Queries without an answer from this model (unknown, left out of every rate). */
  unanswered: z.number().int().nonnegative(),
  /** Those queries per reason, where the run log records one (e.g. `context_length`). */
  unansweredReasons: z.record(z.string(), z.number().int().nonnegative()),
});

/** What a tier of the pool looks like to the UI; for cloud tiers, whether its key variable is set, never the key. */
export const TierStatusSchema = z.object({ name, kind: z.enum(['local', 'cloud']), ready: z.boolean(), problem: z.string().nullable() });
export type TierStatus = z.infer<typeof TierStatusSchema>;

export { BackendReportSchema, TierFitSchema, TierOffloadSchema, type BackendReport, type TierFit, type TierOffload } from './hardware.js';

/** The machine local tiers run on, and how each local tier of the pool fits it before loading. */
export const HardwareViewSchema = z.object({
  backend: BackendReportSchema,
  /** Set when the host's run queue exceeds its cores: CPU decoding will be slow. */
  loadWarning: z.string().nullable(),
  /** One entry per local tier of the pool, in pool order; `problem` says why a fit could not be resolved (a missing file, say). */
  tiers: z.array(z.object({ tier: name, fit: TierFitSchema.nullable(), problem: z.string().nullable() })),
});
export type HardwareView = z.infer<typeof HardwareViewSchema>;

export const WorkspaceInfoSchema = z.object({
  label: z.string(),
  source: z.string(),
  simulated: z.boolean(),
  queries: z.number().int().nonnegative(),
  tasks: z.array(z.object({ task: z.string(), queries: z.number().int().nonnegative() })),
  models: z.array(ModelSummarySchema),
  /** The tiers live runs, the live cascade and compare use (GGUF files and endpoints); null until one is set. */
  pool: PoolFileSchema.nullable(),
  tierStatus: z.array(TierStatusSchema),
  settings: SettingsSchema,
  /** Unit of every cost figure, e.g. "USD" or "tokens". */
  costUnit: z.string(),
  tokensApproximate: z.boolean(),
});
export type WorkspaceInfo = z.infer<typeof WorkspaceInfoSchema>;

/** A GGUF file to check before it becomes a tier: a path on the engine's machine (relative to the app's folder). */
export const ModelFileRequestSchema = z.object({ path: z.string().min(1).max(4096) });
export type ModelFileRequest = z.infer<typeof ModelFileRequestSchema>;

/** Whether a GGUF file is ready to be a local tier: it exists, its size, and whether its GGUF header reads. */
export const ModelFileInfoSchema = z.object({
  /** The path as the engine resolved it. */
  path: z.string(),
  exists: z.boolean(),
  sizeBytes: z.number().int().nonnegative().nullable(),
  /** What the file's GGUF header says (read without loading the weights); null when it is missing or does not read. */
  header: z.object({ architecture: z.string().nullable(), name: z.string().nullable(), tensors: z.number().int().nonnegative() }).nullable(),
  /** Why it cannot be a tier, naming the path; null when it can. */
  problem: z.string().nullable(),
});
export type ModelFileInfo = z.infer<typeof ModelFileInfoSchema>;

/** Opens a finished benchmark run's run log as the workspace. */
export const OpenRunRequestSchema = z.object({ runId: id });

/** Whether the live cascade can run a prompt now: every model the served plans use has a ready pool tier. */
export const LiveReadinessSchema = z.object({
  ready: z.boolean(),
  /** Why Run is disabled, in words; null when ready. */
  reason: z.string().nullable(),
  /** Each run-log model the served plans use and the pool tier that stands for it (null: none); empty before a tune. */
  models: z.array(z.object({ model: name, tier: name.nullable() })),
});
export type LiveReadiness = z.infer<typeof LiveReadinessSchema>;

// ---------------------------------------------------------------------------------------
// Tune, budget and routing

export const TuneRequestSchema = z.object({
  /** Number of clusters, or `auto` to choose it on held-out routing quality. */
  k: z.union([z.literal('auto'), z.number().int().min(1).max(256)]),
});
export type TuneRequest = z.infer<typeof TuneRequestSchema>;

/** One policy evaluated on the test split. `retention` = accuracy ÷ strongest model's accuracy. */
export const EvaluationRowSchema = z.object({
  policy: z.string(),
  accuracy: num,
  costPerQuery: num,
  retention: maybeNum,
  costReduction: maybeNum,
  escalationRate: maybeNum,
});
export type EvaluationRow = z.infer<typeof EvaluationRowSchema>;

/** A region's out-of-sample figures on train (cross-fitted) and its certified retention lower bound. */
export const ExpectedFiguresSchema = z.object({
  accuracy: num,
  costPerQuery: num,
  retention: num,
  escalationRate: num,
  retentionLower: maybeNum,
  /** The cost a budget is matched against: its upper bound at the config's confidence (the point estimate at 0). */
  costBound: num,
});

/** The budget's current position and everything that follows from it. */
export const OperatingPointSchema = z.object({
  lambda: nonNeg,
  /** The cost-per-query cap the user asked for, when they set a budget rather than λ. */
  budget: maybeNum,
  /** Test-split figures of the cascade at this point. */
  accuracy: num,
  costPerQuery: num,
  retention: maybeNum,
  costReduction: maybeNum,
  escalationRate: maybeNum,
  /** The model each cluster's plan tries first, by cluster index. */
  routing: z.array(name),
  /** Index into `BudgetView.regions` (0 is the reference: the strongest model everywhere). */
  region: z.number().int().nonnegative(),
  kind: z.enum(['reference', 'frontier']),
  /** Each cluster's plan in words. */
  plans: z.array(z.string()),
  /** Cross-fitted (out-of-sample) figures of the region on train, and its certified retention bound. */
  expected: ExpectedFiguresSchema,
  /** What the data certify about the tuned operating point; null at confidence 0. */
  certified: z.object({ retentionLower: num, costUpper: maybeNum, confidence: num, method: z.string() }).nullable(),
  confidence: num,
  /** Said when the tuned criterion fell back to the strongest model. */
  note: z.string().nullable(),
  /** True after a QE threshold was set by hand: the served plans differ from the tuned ones. */
  manualOverride: z.boolean(),
  /** Short hash of the tuned config as exported at this point (it records the operating point): names the config a figure shows. */
  configId: z.string(),
});
export type OperatingPoint = z.infer<typeof OperatingPointSchema>;

export const KCurvePointSchema = z.object({
  k: z.number().int().positive(),
  silhouette: maybeNum,
  heldOutError: maybeNum,
  /** Standard error of `heldOutError` across the CV folds; null where unknown. */
  heldOutErrorSe: maybeNum,
});

export const TuneReportSchema = z.object({
  k: z.number().int().positive(),
  kMode: z.enum(['auto', 'fixed']),
  trainQueries: z.number().int().nonnegative(),
  testQueries: z.number().int().nonnegative(),
  kCurve: z.array(KCurvePointSchema),
  evaluation: z.array(EvaluationRowSchema),
  operatingPoint: OperatingPointSchema,
  costUnit: z.string(),
  simulated: z.boolean(),
  /** The workspace's data set, as figures and exports name it. */
  dataSet: z.string(),
  /** The config's id when this report was made (see OperatingPoint.configId, which follows every move). */
  configId: z.string(),
  /** How long the tune took when it ran. */
  durationMs: nonNeg,
  /** True when this result was read back from the tune cache (same run log, settings and engine code) rather than computed for this call. */
  fromCache: z.boolean(),
  warnings: z.array(z.string()),
});
export type TuneReport = z.infer<typeof TuneReportSchema>;

/** lda: Fisher's discriminants of the cluster labels (lays the clusters apart); pca: largest variance; umap: local neighbourhoods. */
export const ProjectionSchema = z.enum(['lda', 'pca', 'umap']);
export const ClusterMapRequestSchema = z.object({ projection: ProjectionSchema });
export type ClusterMapRequest = z.infer<typeof ClusterMapRequestSchema>;

export const ClusterMapSchema = z.object({
  projection: ProjectionSchema,
  points: z.array(z.object({
    qid: id,
    x: num,
    y: num,
    cluster: z.number().int().nonnegative(),
    split: z.enum(['train', 'test']),
    routedModel: name,
    task: z.string(),
    /** The query's text, cut to a few hundred characters for hover cards. */
    text: z.string(),
  })),
  kCurve: z.array(KCurvePointSchema),
  k: z.number().int().positive(),
  /** What the map's x and y axes are. */
  axes: z.array(z.object({ name: z.string(), meaning: z.string() })).length(2),
});
export type ClusterMap = z.infer<typeof ClusterMapSchema>;

/** One plan the tune compared for a cluster: train figures (cross-fitting folds' means) with their standard errors across folds. */
export const CandidateViewSchema = z.object({
  /** The plan in words (core/cascade/plan.ts describePlan), as the served plans are named. */
  plan: z.string(),
  kind: z.enum(['answer', 'cascade', 'agree']),
  models: z.array(name),
  accuracy: num,
  accuracySe: maybeNum,
  cost: num,
  costSe: maybeNum,
  escalationRate: num,
  /** On the cluster's concave hull over train: the best plan at some λ. */
  onHull: z.boolean(),
});
export type CandidateView = z.infer<typeof CandidateViewSchema>;

export const RoutingTableSchema = z.object({
  models: z.array(name),
  costUnit: z.string(),
  clusters: z.array(z.object({
    cluster: z.number().int().nonnegative(),
    /** Train queries of the cluster (what its statistics are computed on); `testSize` are the test queries nearest its centroid. */
    size: z.number().int().nonnegative(),
    testSize: z.number().int().nonnegative(),
    tasks: z.array(z.object({ task: z.string(), queries: z.number().int().nonnegative() })),
    /** One cell per entry of `models`, same order; train-split statistics. */
    cells: z.array(z.object({ error: maybeNum, cost: maybeNum, dominated: z.boolean() })),
    chosen: name,
    /** The served plan in words. */
    plan: z.string(),
    /** Every model the served plan may call, in order (first pass, partner, escalations). */
    planModels: z.array(name),
    /**
     * What the tuner compared for this cluster (null for an imported config: the tune is not at hand):
     * the plans, and which of them the served region serves (null after a hand-set threshold).
     */
    candidates: z.object({ compared: z.number().int().nonnegative(), shown: z.array(CandidateViewSchema), served: z.number().int().nonnegative().nullable() }).nullable(),
  })),
  lambda: nonNeg,
});
export type RoutingTable = z.infer<typeof RoutingTableSchema>;

export const BudgetViewSchema = z.object({
  costUnit: z.string(),
  /** Consecutive λ intervals over which the routing stays the same; `lambdaTo` null is +∞. */
  regions: z.array(z.object({
    kind: z.enum(['reference', 'frontier']),
    lambdaFrom: nonNeg,
    lambdaTo: maybeNum,
    /** Test-split figures of the cascade in this region, the same as `OperatingPoint`'s at any λ inside it. */
    accuracy: num,
    costPerQuery: num,
    retention: maybeNum,
    costReduction: maybeNum,
    escalationRate: maybeNum,
    /** What cross-fitting on train expects of this region: the figures a budget or target is certified against. */
    expected: ExpectedFiguresSchema,
    routing: z.array(name),
    /** Per cluster, every model the region's plan may call, in order. */
    planModels: z.array(z.array(name)),
  })),
  /** Accuracy against cost per query of every region, cheapest first. */
  frontier: z.array(z.object({ costPerQuery: num, accuracy: num, lambda: nonNeg })),
  strongest: z.object({ model: name, accuracy: num, costPerQuery: num }),
  current: OperatingPointSchema,
});
export type BudgetView = z.infer<typeof BudgetViewSchema>;

/** Move the operating point by λ, or by a cost-per-query budget (the engine picks the best region within it). */
export const OperatingPointRequestSchema = z.union([z.object({ lambda: nonNeg }).strict(), z.object({ budget: nonNeg }).strict()]);
export type OperatingPointRequest = z.infer<typeof OperatingPointRequestSchema>;

// ---------------------------------------------------------------------------------------
// Query traces and QE

export const TraceFilterSchema = z.object({
  cluster: z.number().int().nonnegative().optional(),
  /** Matches the stage-1 or the final model. */
  model: name.optional(),
  escalated: z.boolean().optional(),
  correct: z.boolean().optional(),
  task: z.string().optional(),
  /** Case-insensitive substring of the query text or qid. */
  search: z.string().max(500).optional(),
  /** Defaults to `0`. */
  offset: z.number().int().nonnegative().optional(),
  /** Defaults to `100`. */
  limit: z.number().int().positive().max(5000).optional(),
});
export type TraceFilter = z.infer<typeof TraceFilterSchema>;

export const TraceRowSchema = z.object({
  qid: id,
  task: z.string(),
  cluster: z.number().int().nonnegative(),
  stage1Model: name,
  qeScore: maybeNum,
  threshold: maybeNum,
  escalated: z.boolean(),
  finalModel: name,
  /** null where the final model did not answer this query in the run log. */
  correct: z.boolean().nullable(),
  cost: maybeNum,
  /** The plan that handled the query, in words. */
  plan: z.string(),
  planKind: z.enum(['answer', 'cascade', 'agree']),
  /** The agreement partner of an agree-or-escalate plan; null otherwise. */
  partner: name.nullable(),
  /** Every pass the plan ran, in order (core/cascade/explain.ts). */
  passes: z.array(z.object({
    model: name,
    role: z.enum(['stage1', 'partner', 'escalation']),
    answer: z.string().nullable(),
    correct: z.boolean().nullable(),
    qeScore: maybeNum,
    threshold: maybeNum,
    agree: z.boolean().nullable(),
    cost: maybeNum,
    latencyMs: maybeNum,
  })),
  /** Why the last decision was taken (core/cascade/plan.ts `decide`). */
  reason: z.enum(['final', 'confident', 'agreed', 'cap', 'doubtful', 'disagreed']),
  /** The rule that fired at each decision, in words. */
  rule: z.string(),
});
export type TraceRow = z.infer<typeof TraceRowSchema>;

export const TracePageSchema = z.object({ total: z.number().int().nonnegative(), offset: z.number().int().nonnegative(), rows: z.array(TraceRowSchema) });
export type TracePage = z.infer<typeof TracePageSchema>;

export const TraceRequestSchema = z.object({ qid: id });
export const TraceDetailSchema = z.object({
  row: TraceRowSchema,
  prompt: z.string(),
  reference: z.string().nullable(),
  answers: z.array(z.object({
    model: name,
    response: z.string().nullable(),
    answer: z.string().nullable(),
    correct: z.boolean().nullable(),
    cost: maybeNum,
    outputTokens: maybeNum,
    qeScore: maybeNum,
  })),
});
export type TraceDetail = z.infer<typeof TraceDetailSchema>;

export const QeModelViewSchema = z.object({
  model: name,
  threshold: maybeNum,
  auroc: maybeNum,
  ece: maybeNum,
  /** Score histogram on the test split: `edges` has one more entry than each count array. */
  histogram: z.object({ edges: z.array(num), correct: z.array(z.number().int().nonnegative()), incorrect: z.array(z.number().int().nonnegative()) }),
  reliability: z.array(z.object({ predicted: num, observed: num, count: z.number().int().nonnegative() })),
});
export const QeViewSchema = z.object({ method: z.string(), auroc: maybeNum, ece: maybeNum, models: z.array(QeModelViewSchema) });
export type QeView = z.infer<typeof QeViewSchema>;

/** Sets the escalation threshold on QE scores: for one stage-1 model, or for all when `model` is left out. */
export const QeThresholdRequestSchema = z.object({ threshold: z.number().min(0).max(1), model: name.optional() });
export type QeThresholdRequest = z.infer<typeof QeThresholdRequestSchema>;
export const QeThresholdResultSchema = z.object({ qe: QeViewSchema, operatingPoint: OperatingPointSchema });
export type QeThresholdResult = z.infer<typeof QeThresholdResultSchema>;

// ---------------------------------------------------------------------------------------
// Live cascade, compare, benchmark runs (results stream as events)

export const GenerationLimitsSchema = z.object({
  /** Defaults to `256`. */
  maxTokens: z.number().int().positive().max(32768).optional(),
  /** Defaults to `0` (greedy). */
  temperature: z.number().min(0).max(2).optional(),
});

export const LiveRequestSchema = GenerationLimitsSchema.extend({ prompt: z.string().min(1).max(100_000) });
export type LiveRequest = z.infer<typeof LiveRequestSchema>;

export const CompareRequestSchema = GenerationLimitsSchema.extend({
  prompt: z.string().min(1).max(100_000),
  tiers: z.array(name).min(1).max(16),
});
export type CompareRequest = z.infer<typeof CompareRequestSchema>;

export const StreamHandleSchema = z.object({ streamId: id });
export type StreamHandle = z.infer<typeof StreamHandleSchema>;

export const PassStatsSchema = z.object({
  ttftMs: maybeNum,
  tpotMs: maybeNum,
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  latencyMs: nonNeg,
  costUsd: nonNeg,
  stopReason: z.enum(['stop', 'length', 'abort', 'error']),
  /** A local tier's layers offloaded and memory taken (the backend that measured TTFT and TPOT); absent for a cloud tier. */
  offload: TierOffloadSchema.optional(),
});
export type PassStats = z.infer<typeof PassStatsSchema>;

export const RunRequestSchema = z.object({
  /** A data set id from `listDataSets()` whose queries are run. */
  dataSet: id,
  /** Tiers of the pool to run; defaults to every tier. */
  tiers: z.array(name).min(1).optional(),
  /** Run only the first n queries. Defaults to all. */
  limit: z.number().int().positive().optional(),
  /** Calls in flight per tier. Defaults to `1`. */
  concurrency: z.number().int().positive().max(64).optional(),
});
export type RunRequest = z.infer<typeof RunRequestSchema>;

export const RunStateSchema = z.enum(['running', 'paused', 'done', 'failed']);
/** One tier's end of a run: the stored figures over every session, and this session's time. */
export const RunTierSummarySchema = z.object({
  answered: z.number().int().nonnegative(),
  correct: z.number().int().nonnegative(),
  /** Right among answered; null when none was answered. */
  accuracy: maybeNum,
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costUsd: nonNeg,
  /** This launch's time on the run; for a run read back from an earlier launch, from its first stored answer to its last. */
  elapsedS: nonNeg,
  ttftMsMedian: maybeNum,
  tpotMsMedian: maybeNum,
});
export type RunTierSummary = z.infer<typeof RunTierSummarySchema>;
export const RunInfoSchema = z.object({
  runId: id,
  dataSet: id,
  state: RunStateSchema,
  total: z.number().int().nonnegative(),
  tiers: z.array(z.object({
    tier: name,
    /** Queries finished: answered, or recorded unanswered. */
    done: z.number().int().nonnegative(),
    /** Calls that failed on the tier's side (tried again when the run resumes). */
    errors: z.number().int().nonnegative(),
    lastError: z.string().nullable(),
    /** Queries the tier could not answer, per reason (`context_length`, …): recorded, and the run goes on. */
    unanswered: z.record(z.string(), z.number().int().nonnegative()),
    /** Set when the tier's run has ended. */
    summary: RunTierSummarySchema.nullable(),
  })),
  startedAt: z.string(),
  /** The run log it writes, loadable as a workspace `path` once done. */
  outDir: z.string(),
});
export type RunInfo = z.infer<typeof RunInfoSchema>;
export const RunIdSchema = z.object({ runId: id });

// ---------------------------------------------------------------------------------------
// Export, import, serving

export const ExportFileSchema = z.object({ fileName: name, mediaType: z.string(), text: z.string() });
export type ExportFile = z.infer<typeof ExportFileSchema>;
export const ReportRequestSchema = z.object({ format: z.enum(['json', 'csv']) });
export const ImportConfigRequestSchema = z.object({ text: z.string().max(50 * 1024 * 1024), fileName: name.optional() });

export const ServeRequestSchema = z.object({
  /** Defaults to `8080`; 0 picks a free port. */
  port: z.number().int().min(0).max(65535).optional(),
  /** Defaults to `127.0.0.1`. Anything beyond loopback needs `token`. */
  host: z.string().min(1).max(255).optional(),
  /** Bearer token every call but /health must carry; required to listen beyond loopback. Defaults to none (no auth). */
  token: z.string().min(16, { message: 'must be at least 16 characters' }).max(512).optional(),
  /** Host names to answer to besides loopback names and the bound address. Defaults to `[]`. */
  allowedHosts: z.array(z.string().min(1).max(255)).max(32).optional(),
});
export type ServeStartRequest = z.infer<typeof ServeRequestSchema>;
export const ServeStatusSchema = z.object({ running: z.boolean(), url: z.string().nullable(), models: z.array(name) });
export type ServeStatus = z.infer<typeof ServeStatusSchema>;

export const AppStateSchema = z.object({
  apiVersion: z.number().int(),
  workspace: WorkspaceInfoSchema.nullable(),
  tune: TuneReportSchema.nullable(),
  /** The tune the engine is running now (a window opened meanwhile joins it rather than starting another); null when idle. */
  tuning: TuneRequestSchema.nullable(),
  serve: ServeStatusSchema,
  runs: z.array(RunInfoSchema),
});
export type AppState = z.infer<typeof AppStateSchema>;

// ---------------------------------------------------------------------------------------
// Events

const streamId = { streamId: id };
export const AppEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('live.passStart'), ...streamId, pass: z.number().int().nonnegative(), tier: name, cluster: z.number().int().nonnegative().nullable(),
    /** stage1: the routed first pass; partner: the second cheap tier of an agreement plan, run beside it; escalation: a stronger rung. */
    role: z.enum(['stage1', 'partner', 'escalation']),
  }),
  z.object({ type: z.literal('live.token'), ...streamId, pass: z.number().int().nonnegative(), tier: name, text: z.string(), atMs: nonNeg }),
  z.object({
    type: z.literal('live.passEnd'), ...streamId, pass: z.number().int().nonnegative(), tier: name, stats: PassStatsSchema,
    qeScore: maybeNum, threshold: maybeNum, escalate: z.boolean(),
    /** Why the cascade kept or passed on this answer (core/cascade/plan.ts `decide`); null for an agreement partner or a pass cut short. */
    reason: z.enum(['final', 'confident', 'agreed', 'cap', 'doubtful', 'disagreed']).nullable(),
  }),
  z.object({ type: z.literal('live.done'), ...streamId, finalTier: name.nullable(), text: z.string(), aborted: z.boolean() }),
  z.object({ type: z.literal('compare.token'), ...streamId, tier: name, text: z.string(), atMs: nonNeg }),
  z.object({ type: z.literal('compare.tierEnd'), ...streamId, tier: name, stats: PassStatsSchema }),
  z.object({ type: z.literal('compare.done'), ...streamId, aborted: z.boolean() }),
  /** A stream failed (the whole stream, or one tier of a compare when `tier` is set). */
  z.object({ type: z.literal('stream.error'), ...streamId, tier: name.nullable(), message: z.string() }),
  z.object({ type: z.literal('run.progress'), run: RunInfoSchema }),
  z.object({ type: z.literal('run.tierError'), runId: id, tier: name, qid: z.string(), message: z.string() }),
  z.object({ type: z.literal('serve.status'), status: ServeStatusSchema }),
]);
export type AppEvent = z.infer<typeof AppEventSchema>;
export type AppEventListener = (event: AppEvent) => void;

// ---------------------------------------------------------------------------------------
// The interface

/** Everything the renderer can ask for. Each method is one IPC channel and one HTTP route. */
export interface AppApi {
  /** The whole state, for a fresh window or tab. */
  getState(): Promise<AppState>;
  /** Data sets found in the configured data folders, plus the built-in simulated pool. */
  listDataSets(): Promise<DataSetInfo[]>;
  /** Replaces the workspace; the tuned state is cleared. */
  loadWorkspace(source: WorkspaceSource): Promise<WorkspaceInfo>;
  /** Sets the live pool (cheapest tier first); key variables are checked, keys never read back. */
  setPool(pool: PoolFile): Promise<WorkspaceInfo>;
  setSettings(settings: Settings): Promise<WorkspaceInfo>;
  /** The backend and GPU memory local tiers run on, and how each local tier of the pool fits (loads the native backend; no model). */
  getHardware(): Promise<HardwareView>;
  /** Whether a GGUF file exists, its size, and whether its header reads (no weights are loaded). */
  inspectModelFile(request: ModelFileRequest): Promise<ModelFileInfo>;
  tune(request: TuneRequest): Promise<TuneReport>;
  getClusterMap(request: ClusterMapRequest): Promise<ClusterMap>;
  getRoutingTable(): Promise<RoutingTable>;
  getBudget(): Promise<BudgetView>;
  /** Re-reads the precomputed λ regions: fast enough for every slider move. */
  setOperatingPoint(request: OperatingPointRequest): Promise<OperatingPoint>;
  listTraces(filter: TraceFilter): Promise<TracePage>;
  getTrace(request: { qid: string }): Promise<TraceDetail>;
  getQe(): Promise<QeView>;
  setQeThreshold(request: QeThresholdRequest): Promise<QeThresholdResult>;
  /** Runs one prompt through the cascade; `live.*` events follow. */
  startLive(request: LiveRequest): Promise<StreamHandle>;
  /** Sends one prompt to several tiers at once; `compare.*` events follow. */
  startCompare(request: CompareRequest): Promise<StreamHandle>;
  /**
   * Stops a live or compare stream; a stream already finished is left alone. Answers null, not
   * void: JSON drops an undefined `value`, and the HTTP reply envelope requires one.
   */
  abortStream(request: StreamHandle): Promise<null>;
  /** Whether the pool can serve every model the served plans use (the Live view's Run button). */
  checkLive(): Promise<LiveReadiness>;
  listRuns(): Promise<RunInfo[]>;
  startRun(request: RunRequest): Promise<RunInfo>;
  pauseRun(request: { runId: string }): Promise<RunInfo>;
  resumeRun(request: { runId: string }): Promise<RunInfo>;
  /** Loads a finished run's run log (its answers and grades) as the workspace; the pool stays. */
  openRun(request: { runId: string }): Promise<WorkspaceInfo>;
  exportConfig(): Promise<ExportFile>;
  /** Validates the tuned config against its schema and makes it current. */
  importConfig(request: { text: string; fileName?: string }): Promise<AppState>;
  exportReport(request: { format: 'json' | 'csv' }): Promise<ExportFile>;
  /** Starts the OpenAI-compatible endpoint in-process, on the current tuned config. */
  startServe(request: ServeStartRequest): Promise<ServeStatus>;
  stopServe(): Promise<ServeStatus>;
}

export type AppMethod = keyof AppApi;

/** The renderer's handle: the methods plus the one event stream. */
export interface AppClient extends AppApi {
  /** Calls `listener` for every event until the returned function is called. */
  subscribe(listener: AppEventListener): () => void;
}

type Contract = {
  [M in AppMethod]: {
    request: z.ZodType<Parameters<AppApi[M]>[0]>;
    response: z.ZodType<Awaited<ReturnType<AppApi[M]>>>;
  };
};

const none = z.undefined();

/** Request and response schema of every method: the bridges' allow-list and validators. */
export const APP_API_CONTRACT: Contract = {
  getState: { request: none, response: AppStateSchema },
  listDataSets: { request: none, response: z.array(DataSetInfoSchema) },
  loadWorkspace: { request: WorkspaceSourceSchema, response: WorkspaceInfoSchema },
  setPool: { request: PoolFileSchema, response: WorkspaceInfoSchema },
  setSettings: { request: SettingsSchema, response: WorkspaceInfoSchema },
  getHardware: { request: none, response: HardwareViewSchema },
  inspectModelFile: { request: ModelFileRequestSchema, response: ModelFileInfoSchema },
  tune: { request: TuneRequestSchema, response: TuneReportSchema },
  getClusterMap: { request: ClusterMapRequestSchema, response: ClusterMapSchema },
  getRoutingTable: { request: none, response: RoutingTableSchema },
  getBudget: { request: none, response: BudgetViewSchema },
  setOperatingPoint: { request: OperatingPointRequestSchema, response: OperatingPointSchema },
  listTraces: { request: TraceFilterSchema, response: TracePageSchema },
  getTrace: { request: TraceRequestSchema, response: TraceDetailSchema },
  getQe: { request: none, response: QeViewSchema },
  setQeThreshold: { request: QeThresholdRequestSchema, response: QeThresholdResultSchema },
  startLive: { request: LiveRequestSchema, response: StreamHandleSchema },
  startCompare: { request: CompareRequestSchema, response: StreamHandleSchema },
  abortStream: { request: StreamHandleSchema, response: z.null() },
  checkLive: { request: none, response: LiveReadinessSchema },
  listRuns: { request: none, response: z.array(RunInfoSchema) },
  startRun: { request: RunRequestSchema, response: RunInfoSchema },
  pauseRun: { request: RunIdSchema, response: RunInfoSchema },
  resumeRun: { request: RunIdSchema, response: RunInfoSchema },
  openRun: { request: OpenRunRequestSchema, response: WorkspaceInfoSchema },
  exportConfig: { request: none, response: ExportFileSchema },
  importConfig: { request: ImportConfigRequestSchema, response: AppStateSchema },
  exportReport: { request: ReportRequestSchema, response: ExportFileSchema },
  startServe: { request: ServeRequestSchema, response: ServeStatusSchema },
  stopServe: { request: none, response: ServeStatusSchema },
};

/** Every method name, in a fixed order: the allow-list of both bridges. */
export const APP_API_METHODS = Object.keys(APP_API_CONTRACT) as AppMethod[];

export function isAppMethod(value: unknown): value is AppMethod {
  return typeof value === 'string' && Object.hasOwn(APP_API_CONTRACT, value);
}

// ---------------------------------------------------------------------------------------
// The HTTP bridge's routes

/** `POST {HTTP_API_PREFIX}<method>` with the request as JSON calls a method. */
export const HTTP_API_PREFIX = '/api/';
/** The WebSocket that carries every event. */
export const HTTP_EVENTS_PATH = '/api/events';

// ---------------------------------------------------------------------------------------
// The Electron bridge's names (the preload runs as a plain script and repeats them; a test keeps them equal)

/** The global the preload exposes in the renderer's main world. */
export const ELECTRON_BRIDGE_KEY = 'cascadeLab';
/** The one channel main sends events on. */
export const EVENT_CHANNEL = 'app:event';
/** The IPC channel of a method: one channel per method, nothing generic. */
export function ipcChannel(method: AppMethod): string {
  return `app:${method}`;
}

/** The desktop shell's own channel (no engine behind it): Electron's open-file dialog for a GGUF file. */
export const PICK_MODEL_FILE_CHANNEL = 'shell:pickModelFile';

/** What the preload exposes: one function per method (each returns a `Reply`), an event hook, and the shell's file dialog. */
export type ElectronBridge = { readonly [M in AppMethod]: (payload?: unknown) => Promise<unknown> } & {
  readonly onEvent: (listener: (event: unknown) => void) => () => void;
  /** Resolves to the chosen GGUF file's path, or null when the dialog was cancelled. */
  readonly pickModelFile: () => Promise<unknown>;
};

// ---------------------------------------------------------------------------------------
// Errors across the bridge

/** How a failed call crosses a bridge: the error's class name, message and place. */
export const AppErrorPayloadSchema = z.object({ name: z.string(), message: z.string(), where: z.string().nullable() });
export type AppErrorPayload = z.infer<typeof AppErrorPayloadSchema>;

/** Every bridge reply: a value, or the error the call raised. */
export const ReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: AppErrorPayloadSchema }),
]);
export type Reply = z.infer<typeof ReplySchema>;

/** A call that failed on the other side of a bridge; `kind` is the original error's class name (e.g. InvalidInputError). */
export class AppApiError extends CascadeLabError {
  readonly kind: string;
  constructor(payload: AppErrorPayload) {
    super(payload.message);
    this.kind = payload.name;
  }
}

/** Serialises a thrown value for a reply; the message of a CascadeLabError already names where. */
export function toErrorPayload(err: unknown): AppErrorPayload {
  if (err instanceof CascadeLabError) return { name: err.name, message: err.message, where: err.where ?? null };
  if (err instanceof Error) return { name: err.name, message: err.message, where: null };
  return { name: 'Error', message: String(err), where: null };
}
