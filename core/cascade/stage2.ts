import type { TunedConfig } from '../config.js';
import type { AnswerKind } from '../extract.js';
import { InvalidInputError } from '../errors.js';
import { LearnedQe } from '../qe/model.js';
import { withSystem, type EngineReport } from '../report.js';
import type { Workload } from '../workload.js';
import { evaluateCascade, type ClusterComparison, type SystemFigures } from './evaluate.js';
import { jointTune, qeScorer, type CascadeCriterion, type JointTuneOptions, type JointTuneResult } from './joint.js';
import type { CascadeConfig, ClusterPlan } from './plan.js';

/** Stage-2 settings of a tune; the criterion comes from the tune's own. */
export type Stage2Options = Omit<JointTuneOptions, 'criterion'> & {
  /** Standard errors of the held-out retention estimate kept in hand under a retention target. Defaults to `1`. */
  margin?: number;
};

export interface Stage2Input {
  w: Workload;
  train: ArrayLike<number>;
  test: ArrayLike<number>;
  /** Cluster of every workload row (train: fitted labels; test: nearest centroid). */
  clusterOf: ArrayLike<number>;
  k: number;
  cost: Float64Array;
  metric: string;
  strongest: string;
  criterion: CascadeCriterion;
}

/** One cluster's plan as the report lists it. */
export interface PlanRow {
  cluster: number;
  action: ClusterPlan['action'];
  /** The model whose answer is tried first (answer: the only model). */
  model: string;
  /** The first QE threshold (cascade: rung 0; agree: the QE minimum), null for one-model plans. */
  threshold: number | null;
  /** Every model the plan may call, in order. */
  models: string[];
}

type Figures = Pick<SystemFigures, 'n' | 'accuracy' | 'cost' | 'retention' | 'costRatio' | 'escalationRate'>;

/** What stage 2 adds to the `--json` report of tune and eval (all measured on the evaluated queries). */
export interface CascadeReport {
  escalationRate: number;
  qe: { auroc: number; ece: number; model: string; answers: number; heldOut: CascadeConfig['qeQuality'] };
  plan: PlanRow[];
  frugal: Figures & { plan: PlanRow };
  /** Stage 1 + 2 as tuned. */
  system: Figures;
  /** The best one-model-per-cluster plans at the same target, from the same held-out selection. */
  stage1Only: Figures;
  /** Stage 1 + 2 tuned to stage 1's expected accuracy: compare its cost with stage1Only's at (about) equal accuracy. */
  atStage1Accuracy: Figures;
  perCluster: ClusterComparison[];
  expected: CascadeConfig['expected'];
}

/** The report row of one cluster's plan. */
export function planRow(plan: ClusterPlan, cluster: number): PlanRow {
  switch (plan.action) {
    case 'answer':
      return { cluster, action: plan.action, model: plan.model, threshold: null, models: [plan.model] };
    case 'cascade':
      return { cluster, action: plan.action, model: plan.rungs[0], threshold: plan.thresholds[0], models: [...plan.rungs] };
    case 'agree':
      return { cluster, action: plan.action, model: plan.model, threshold: plan.threshold, models: [plan.model, plan.partner, plan.escalateTo] };
  }
}

function pick(f: SystemFigures): Figures {
  return { n: f.n, accuracy: f.accuracy, cost: f.cost, retention: f.retention, costRatio: f.costRatio, escalationRate: f.escalationRate };
}

export interface Stage2EvalInput {
  w: Workload;
  /** The evaluated queries (the test split). */
  rows: ArrayLike<number>;
  clusterOf: ArrayLike<number>;
  cost: Float64Array;
  metric: string;
  strongest: string;
}

/** A config's cascade and its stored baselines on the evaluated queries, every pass paid. */
export function evaluateStage2(cascade: CascadeConfig, input: Stage2EvalInput, qe = new LearnedQe(cascade.qe)): CascadeReport {
  const { w } = input;
  for (const m of new Set([...cascade.ladder, input.strongest])) {
    if (!w.models.includes(m)) throw new InvalidInputError(`the cascade uses model "${m}", which has no responses in this run log`, 'run log');
  }
  const evaluation = evaluateCascade({
    ...input, qe, score: qeScorer(qe, w, input.clusterOf), caps: cascade.caps, answerKinds: cascade.answerKinds as AnswerKind[],
    plans: cascade.plans, stage1Plans: cascade.baselines.stage1Only, frugalPlan: cascade.baselines.frugal, matchedPlans: cascade.baselines.matched,
  });
  return {
    escalationRate: evaluation.system.escalationRate,
    qe: {
      auroc: evaluation.qe.auroc,
      ece: evaluation.qe.ece,
      model: `logistic regression (L2 ${cascade.qe.l2}, 2^${cascade.qe.spec.hashBits} hashed n-grams + model/cluster + length/format), ${cascade.qe.calibrator.kind} calibration`,
      answers: evaluation.qe.answers,
      heldOut: cascade.qeQuality,
    },
    plan: cascade.plans.map(planRow),
    frugal: { ...pick(evaluation.frugal), plan: planRow(cascade.baselines.frugal, -1) },
    system: pick(evaluation.system),
    stage1Only: pick(evaluation.stage1),
    atStage1Accuracy: pick(evaluation.matched),
    perCluster: evaluation.perCluster,
    expected: cascade.expected,
  };
}

/**
 * Stage 2 inside a tune: the joint tuning on the training split (with the FrugalGPT baseline on the
 * same selection queries), then everything on the test split with every pass paid.
 */
export function tuneStage2(input: Stage2Input, options: Stage2Options = {}): { cascade: CascadeConfig; report: CascadeReport; timings: JointTuneResult['timings'] } {
  const { w } = input;
  const strongest = w.models.indexOf(input.strongest);
  if (strongest < 0) throw new InvalidInputError(`strongest model "${input.strongest}" is not in the run log`, 'cascade tuning');
  const criterion: CascadeCriterion = input.criterion.kind === 'targetRetention' ? { ...input.criterion, margin: input.criterion.margin ?? options.margin ?? 1 } : input.criterion;
  const { margin: _m, ...jointOptions } = options;
  const joint = jointTune({ w, train: input.train, clusterOf: input.clusterOf, k: input.k, cost: input.cost, metric: input.metric, strongest }, { ...jointOptions, criterion });
  const report = evaluateStage2(joint.cascade, { w, rows: input.test, clusterOf: input.clusterOf, cost: input.cost, metric: input.metric, strongest: input.strongest }, joint.qe);
  return { cascade: joint.cascade, report, timings: joint.timings };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** A plan in words. */
export function describePlan(plan: ClusterPlan): string {
  switch (plan.action) {
    case 'answer':
      return `answer with ${plan.model}`;
    case 'cascade':
      return plan.rungs.map((m, i) => (i < plan.thresholds.length ? `${m} (keep if QE ≥ ${plan.thresholds[i].toFixed(3)})` : m)).join(' → ');
    case 'agree':
      return `${plan.model} + ${plan.partner}, keep if they agree${plan.threshold > 0 ? ` and QE ≥ ${plan.threshold.toFixed(3)}` : ''}, else ${plan.escalateTo}`;
  }
}

/** The readable stage-2 section of tune/eval output: the plan per cluster and where stage 2 helped. */
export function formatCascadeReport(r: CascadeReport, unit: string): string {
  const fig = (f: Figures) => `accuracy ${pct(f.accuracy)} (retention ${pct(f.retention)}), cost ${f.cost.toPrecision(3)} ${unit} (${pct(f.costRatio)} of strongest), escalated ${pct(f.escalationRate)}`;
  const lines = [
    'Stage 2 (cascade), every pass paid:',
    `  system (stage 1+2): ${fig(r.system)}`,
    `  stage 1 alone (same target, same selection queries): ${fig(r.stage1Only)}`,
    `  stage 1+2 tuned to stage 1's accuracy: ${fig(r.atStage1Accuracy)}`,
    `  FrugalGPT-style baseline: ${fig(r.frugal)}`,
    `  QE: AUROC ${r.qe.auroc.toFixed(3)}, ECE ${r.qe.ece.toFixed(3)} on ${r.qe.answers} evaluated answers (held-out train: AUROC ${r.qe.heldOut.auroc.toFixed(3)}, ECE ${r.qe.heldOut.ece.toFixed(3)}); ${r.qe.model}`,
    '  per cluster:',
  ];
  for (const c of r.perCluster) {
    const same = c.system.accuracy === c.stage1.accuracy && c.system.cost === c.stage1.cost;
    const traded = c.system.cost < c.stage1.cost && c.system.accuracy < c.stage1.accuracy;
    const verdict = c.helped
      ? 'stage 2 helped'
      : same
        ? 'same as stage 1'
        : traded
          ? `a trade: ${(100 * (c.stage1.accuracy - c.system.accuracy)).toFixed(1)} points less accurate for ${pct(1 - c.system.cost / c.stage1.cost)} lower cost`
          : 'stage 2 did not help here';
    lines.push(
      `    cluster ${c.cluster} (${c.n} queries): ${describePlan(c.plan)}`,
      `      ${pct(c.system.accuracy)} at ${c.system.cost.toPrecision(3)} vs stage 1 (${describePlan(c.stage1Plan)}) ${pct(c.stage1.accuracy)} at ${c.stage1.cost.toPrecision(3)}: ${verdict}`,
    );
  }
  return lines.join('\n');
}

/** The fields stage 2 adds to the engine report of tune and eval. */
export interface Stage2ReportFields {
  /** Share of evaluated queries escalated at least once (also in `system`). */
  escalationRate: number;
  qe: CascadeReport['qe'];
  /** Per cluster: action, first model, first threshold. */
  plan: PlanRow[];
  /** The FrugalGPT-style cascade over the same pool with the same learned scorer. */
  frugal: CascadeReport['frugal'];
  /** Everything else stage 2 measured: stage 1 alone at the same target, at stage 1's accuracy, per cluster. */
  stage2: Omit<CascadeReport, 'escalationRate' | 'qe' | 'plan' | 'frugal'>;
}

/** The engine report with stage 2 folded in: `system` becomes stage 1 + 2, `stage1` stays the engine's own. */
export function withStage2<R extends EngineReport>(report: R, s2: CascadeReport): R & Stage2ReportFields {
  const { escalationRate, qe, plan, frugal, ...rest } = s2;
  const answered = s2.system.n;
  const system = withSystem(report, { accuracy: s2.system.accuracy, cost: s2.system.cost, answered, unanswered: report.split.test - answered }, escalationRate).system;
  return { ...report, system, escalationRate, qe, plan, frugal, stage2: rest };
}

/** The stage-2 criterion of a config's operating point; a λ operating point asks for the retention stage 1 expects there. */
export function cascadeCriterionOf(config: Pick<TunedConfig, 'operatingPoint' | 'regions' | 'strongest'>): CascadeCriterion {
  const c = config.operatingPoint.criterion;
  if (c.kind === 'budget') return { kind: 'budget', budget: c.budget };
  if (c.kind === 'targetRetention') return { kind: 'targetRetention', targetRetention: c.targetRetention };
  return { kind: 'targetRetention', targetRetention: config.regions[config.operatingPoint.region].expectedAccuracy / config.strongest.accuracy };
}

/** Per workload row of `n`, the cluster of the listed rows (others 0: never read). */
export function clusterOfRows(n: number, parts: readonly { rows: ArrayLike<number>; labels: ArrayLike<number> }[]): Int32Array {
  const out = new Int32Array(n);
  for (const { rows, labels } of parts) for (let i = 0; i < rows.length; i++) out[rows[i]] = labels[i];
  return out;
}

/** The readable stage-2 section from the report fields of tune or eval. */
export function formatStage2Fields(f: Stage2ReportFields, unit: string): string {
  return formatCascadeReport({ escalationRate: f.escalationRate, qe: f.qe, plan: f.plan, frugal: f.frugal, ...f.stage2 }, unit);
}
