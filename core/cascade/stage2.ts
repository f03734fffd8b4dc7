import { InvalidInputError } from '../errors.js';
import type { Workload } from '../workload.js';
import { evaluateCascade, type ClusterComparison, type SystemFigures } from './evaluate.js';
import { frugalBaseline } from './frugal.js';
import { jointTune, qeScorer, type CascadeCriterion, type JointTuneOptions } from './joint.js';
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

/** What stage 2 adds to the `--json` report of tune and eval (all measured on the test split). */
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
  timings: { qeTrainMs: number; qeEvalMs: number; plansMs: number; totalMs: number };
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

/**
 * Stage 2 inside a tune: the joint tuning on the training split, the FrugalGPT baseline on the
 * same selection queries, then all of them on the test split with every pass paid.
 */
export function tuneStage2(input: Stage2Input, options: Stage2Options = {}): { cascade: CascadeConfig; report: CascadeReport } {
  const started = Date.now();
  const { w, clusterOf, cost } = input;
  const strongest = w.models.indexOf(input.strongest);
  if (strongest < 0) throw new InvalidInputError(`strongest model "${input.strongest}" is not in the run log`, 'cascade tuning');
  const criterion: CascadeCriterion = input.criterion.kind === 'targetRetention' ? { ...input.criterion, margin: input.criterion.margin ?? options.margin ?? 1 } : input.criterion;
  const { margin: _m, ...jointOptions } = options;
  const joint = jointTune({ w, train: input.train, clusterOf, k: input.k, cost, metric: input.metric, strongest }, { ...jointOptions, criterion });
  const { cascade } = joint;
  const frugal = frugalBaseline(
    { w, select: joint.parts.select, cost, metric: input.metric, ladder: cascade.ladder.map((m) => w.models.indexOf(m)), score: joint.score, caps: cascade.caps, strongest },
    criterion.kind === 'budget' ? criterion : { kind: 'targetRetention', targetRetention: criterion.targetRetention, margin: criterion.margin ?? 1 },
  );
  const evaluation = evaluateCascade({
    w, rows: input.test, clusterOf, cost, metric: input.metric, qe: joint.qe, score: qeScorer(joint.qe, w, clusterOf), caps: cascade.caps,
    answerKinds: cascade.answerKinds, plans: cascade.plans, stage1Plans: joint.stage1Plans, frugalPlan: frugal.plan, matchedPlans: joint.matched.chosen.map((c) => c.plan), strongest: input.strongest,
  });
  const report: CascadeReport = {
    escalationRate: evaluation.system.escalationRate,
    qe: {
      auroc: evaluation.qe.auroc,
      ece: evaluation.qe.ece,
      model: `logistic regression (L2 ${cascade.qe.l2}, 2^${cascade.qe.spec.hashBits} hashed n-grams + model/cluster + length/format), ${cascade.qe.calibrator.kind} calibration`,
      answers: evaluation.qe.answers,
      heldOut: cascade.qeQuality,
    },
    plan: cascade.plans.map(planRow),
    frugal: { ...pick(evaluation.frugal), plan: planRow(frugal.plan, -1) },
    system: pick(evaluation.system),
    stage1Only: pick(evaluation.stage1),
    atStage1Accuracy: pick(evaluation.matched),
    perCluster: evaluation.perCluster,
    expected: cascade.expected,
    timings: { ...joint.timings, totalMs: Date.now() - started },
  };
  return { cascade, report };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function describe(plan: ClusterPlan): string {
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
    'Stage 2 (cascade), on the test split, every pass paid:',
    `  system (stage 1+2): ${fig(r.system)}`,
    `  stage 1 alone (same target): ${fig(r.stage1Only)}`,
    `  stage 1+2 tuned to stage 1's accuracy: ${fig(r.atStage1Accuracy)}`,
    `  FrugalGPT-style baseline: ${fig(r.frugal)}`,
    `  QE: AUROC ${r.qe.auroc.toFixed(3)}, ECE ${r.qe.ece.toFixed(3)} on ${r.qe.answers} test answers (held-out train: AUROC ${r.qe.heldOut.auroc.toFixed(3)}, ECE ${r.qe.heldOut.ece.toFixed(3)}); ${r.qe.model}`,
    '  per cluster:',
  ];
  for (const c of r.perCluster) {
    const verdict = c.helped
      ? 'stage 2 helped'
      : c.system.accuracy === c.stage1.accuracy && c.system.cost === c.stage1.cost
        ? 'same as stage 1'
        : 'stage 2 did not help here';
    lines.push(
      `    cluster ${c.cluster} (${c.n} queries): ${describe(c.plan)}`,
      `      ${pct(c.system.accuracy)} at ${c.system.cost.toPrecision(3)} vs stage 1 (${describe(c.stage1Plan)}) ${pct(c.stage1.accuracy)} at ${c.stage1.cost.toPrecision(3)}: ${verdict}`,
    );
  }
  return lines.join('\n');
}
