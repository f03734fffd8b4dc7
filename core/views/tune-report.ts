import type { EvaluationRow, TuneReport } from '../app-api.js';
import type { TunedConfig } from '../config.js';
import { figureCsv } from '../figure-csv.js';
import { configId, finiteOrNull, operatingPoint, type TunedState } from './tuned-state.js';

/** Each k the tune scored: its silhouette and its held-out routing error, where it has them. */
export function kCurve(config: TunedConfig): TuneReport['kCurve'] {
  const ks = new Set([...config.clustering.cvCurve.map((p) => p.k), ...config.clustering.silhouetteCurve.map((p) => p.k)]);
  return [...ks].sort((a, b) => a - b).map((k) => {
    const cv = config.clustering.cvCurve.find((p) => p.k === k);
    const sil = config.clustering.silhouetteCurve.find((p) => p.k === k);
    // The engine scores k by held-out AIQ (higher is better); 1 − AIQ reads as a held-out routing error.
    return { k, silhouette: sil ? sil.score : null, heldOutError: cv ? 1 - cv.score : null, heldOutErrorSe: cv?.se ?? null };
  });
}

/** The tune's summary: the served system, stage 1, the baselines and every single model on test, and what to beware of. */
export function tuneReport(t: TunedState): TuneReport {
  const r = t.report;
  const row = (policy: string, m: { accuracy: number; cost: number; retention: number; costReduction: number }, escalationRate: number | null = null): EvaluationRow => ({
    policy, accuracy: m.accuracy, costPerQuery: m.cost, retention: finiteOrNull(m.retention), costReduction: finiteOrNull(m.costReduction), escalationRate,
  });
  const evaluation: EvaluationRow[] = [
    row('system', r.system, r.system.escalationRate),
    row('stage1', r.stage1, 0),
    row('oracle', r.baselines.oracle),
    row('random', r.baselines.random),
    ...(r.baselines.k1 ? [row('k1', r.baselines.k1)] : []),
    ...Object.entries(r.baselines.single).map(([model, m]) => row(`single:${model}`, m)),
  ];
  const warnings: string[] = [];
  if (t.config.provenance.tokensApproximate) warnings.push('Some token counts are estimates (o200k_base), not the models\' own counts.');
  if (t.simulated) warnings.push('Simulated data: these figures are made up for the demo, not measurements.');
  if (t.config.stage2Skipped) warnings.push(`Stage 2 was not tuned: ${t.config.stage2Skipped}. The frontier has single models only.`);
  if (t.config.operatingPoint.note) warnings.push(t.config.operatingPoint.note);
  return {
    k: t.config.clusters.length,
    kMode: t.kMode,
    trainQueries: r.split.train,
    testQueries: r.split.test,
    kCurve: kCurve(t.config),
    evaluation,
    operatingPoint: operatingPoint(t),
    costUnit: t.config.cost.unit,
    simulated: t.simulated,
    dataSet: t.dataSet,
    configId: configId(t.config),
    durationMs: t.durationMs,
    fromCache: t.fromCache,
    warnings,
  };
}

/** The report's evaluation table as CSV (provenance first, as `#` lines), one policy a row; the cost column names its unit. */
export function reportCsv(report: Pick<TuneReport, 'costUnit' | 'evaluation' | 'dataSet' | 'configId' | 'simulated' | 'testQueries'>): string {
  const meta = { title: 'Cascade Lab report: every policy on the test split', dataSet: report.dataSet, configId: report.configId, simulated: report.simulated, measuredOn: `test split, ${report.testQueries} queries` };
  const header = ['policy', 'accuracy', `cost_per_query_${report.costUnit.replaceAll(/\W+/g, '_')}`, 'retention', 'cost_reduction', 'escalation_rate'];
  return figureCsv(meta, header, report.evaluation.map((r) => [r.policy, r.accuracy, r.costPerQuery, r.retention, r.costReduction, r.escalationRate]));
}
