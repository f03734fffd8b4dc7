import type { TunedConfig } from '../../core/config.js';
import { describePlan, planModels } from '../../core/cascade/plan.js';
import type { EngineReport, ReportedRegion } from '../../core/report.js';
import { formatReasons, type UnansweredTally } from '../../core/unanswered.js';

// Plain-text tables for the terminal. Hand-written: a padded column layout is a dozen lines and
// no table library is installed.
export function table(headers: string[], rows: (string | number)[][], align: ('l' | 'r')[] = []): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c]?.length ?? 0)));
  const line = (r: string[]) => r.map((v, c) => (align[c] === 'r' ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
/** Costs span 1e-5..1e3 across metrics: three significant digits reads best. */
export const num = (x: number): string => (x === 0 ? '0' : Math.abs(x) >= 1000 || Math.abs(x) < 0.01 ? x.toPrecision(3) : x.toFixed(Math.abs(x) >= 100 ? 1 : 4));

/** The routing table: per cluster, size, topic and the operating region's plan with the first model's train figures. */
export function formatRoutingTable(config: TunedConfig, region = config.operatingPoint.region): string {
  const plans = config.regions[region].plans;
  const rows = config.clusters.map((c, i) => {
    const first = planModels(plans[i])[0];
    const s = c.stats.find((x) => x.model === first)!;
    return [i, c.size, c.topTask, describePlan(plans[i]), s.errorRate === null ? '—' : pct(1 - s.errorRate), pct(1 - s.shrunkErrorRate), num(s.meanCost), c.stats.filter((x) => x.eligible).length];
  });
  return table(['cluster', 'train n', 'top task', 'plan', 'first model acc', 'shrunk acc', `its cost (${config.cost.unit})`, 'Pareto models'], rows, ['r', 'r', 'l', 'l', 'r', 'r', 'r', 'r']);
}

const bound = (x: number | null) => (x === null ? '—' : pct(x));

/** The frontier's regions with the operating point marked: out-of-sample figures on train and each one's certified bound. */
export function formatRegions(config: TunedConfig): string {
  const rows = config.regions.map((r, i) => [
    i === config.operatingPoint.region ? '→' : '',
    i,
    r.kind === 'reference' ? 'strongest model' : `${num(r.lambdaFrom)} – ${r.lambdaTo === null ? '∞' : num(r.lambdaTo)}`,
    pct(r.expected.accuracy),
    pct(r.expected.retention),
    bound(r.expected.retentionLower),
    num(r.expected.cost),
    pct(r.expected.escalationRate),
    r.plans.filter((p) => p.action !== 'answer').length,
  ]);
  return table(['', 'region', 'λ', 'acc', 'retention', 'certified ≥', `cost (${config.cost.unit})`, 'escalated', 'stage-2 clusters'], rows, ['l', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r']);
}

function criterionText(c: TunedConfig['operatingPoint']['criterion'], unit: string): string {
  switch (c.kind) {
    case 'budget':
      return `budget ${c.budget} ${unit} per query`;
    case 'targetRetention':
      return `target retention ${c.targetRetention}`;
    case 'lambda':
      return `λ = ${c.lambda}`;
  }
}

/** What the certificate says, in one sentence. */
export function certificateText(op: ReportedRegion, unit: string): string {
  const e = op.expected;
  const point = `out of sample on train: retention ${pct(e.retention)}, cost ${num(e.cost)} ${unit}, escalated ${pct(e.escalationRate)}`;
  if (!op.certified) return `${point} (confidence 0: point estimate, not certified)`;
  const c = op.certified;
  return `${point}; with confidence ${c.confidence}: retention ≥ ${pct(c.retentionLower)}${c.costUpper === null ? '' : `, cost ≤ ${num(c.costUpper)} ${unit}`} (${c.method})`;
}

/** The report as readable text: operating point and its certificate, system vs stage 1 and baselines, AIQ, CI, plans per cluster. */
export function formatReport(report: EngineReport, config: TunedConfig): string {
  const op = report.operatingPoint;
  const unit = config.cost.unit;
  const where = report.evaluatedOn === 'test-split' ? 'test split' : 'all queries (the config was tuned on another log)';
  const m = (name: string, x: { accuracy: number; cost: number; retention: number; costReduction: number; escalationRate?: number }) => [
    name, pct(x.accuracy), num(x.cost), pct(x.retention), pct(x.costReduction), x.escalationRate === undefined ? '' : pct(x.escalationRate),
  ];
  const rows = [
    m('system (the served region)', report.system),
    m('stage 1 alone (single models, same criterion)', report.stage1),
    m(`strongest: ${report.strongest.model}`, { ...report.strongest, retention: 1, costReduction: 0 }),
    ...(report.baselines.frugal ? [m('FrugalGPT-style cascade', report.baselines.frugal)] : []),
    m(`random (${report.baselines.random.between.join(' / ')})`, report.baselines.random),
    m('per-query oracle', report.baselines.oracle),
    ...(report.baselines.k1 ? [m(`k = 1 (${report.baselines.k1.model})`, report.baselines.k1)] : []),
    ...Object.entries(report.baselines.single)
      .sort((a, b) => b[1].cost - a[1].cost)
      .map(([name, x]) => m(`  ${name}`, x)),
  ];
  const unanswered = report.system.unanswered > 0 ? `\n${report.system.unanswered} queries had no answer from a model on their path: left out of accuracy and cost.` : '';
  const perCluster = report.perCluster.map((c) => [c.cluster, c.n, c.plan.text, `${pct(c.system.accuracy)} at ${num(c.system.cost)}`, c.stage1Plan.text, `${pct(c.stage1.accuracy)} at ${num(c.stage1.cost)}`, stage2Verdict(c)]);
  return [
    `Operating point: region ${op.region}${op.kind === 'reference' ? ' (the strongest model everywhere)' : ` (λ ${num(op.lambdaFrom)} to ${op.lambdaTo === null ? '∞' : num(op.lambdaTo)})`}, chosen by ${criterionText(op.criterion, unit)}`,
    `  ${certificateText(op, unit)}`,
    ...(op.note ? [`  NOTE: ${op.note}`] : []),
    ...(op.guarded.length > 0 ? [`  clusters ${op.guarded.join(', ')}: a stage-2 plan was set back to one model (its out-of-sample gain was not supported)`] : []),
    ...(report.stage2Skipped ? [`  stage 2 was not tuned: ${report.stage2Skipped}`] : []),
    `k = ${report.k} clusters (${config.clustering.selection === 'cv' ? 'chosen by routing-quality cross-validation within train' : 'set by hand'}); split ${report.split.train} train / ${report.split.test} evaluated, on the ${where}`,
    ...(config.clustering.cvCurve.length > 0 ? [`  held-out AIQ by k: ${config.clustering.cvCurve.map((p) => `${p.k}: ${p.score.toFixed(4)}`).join(', ')}`] : []),
    ...(config.clustering.silhouetteCurve.length > 0 ? [`  silhouette by k:   ${config.clustering.silhouetteCurve.map((p) => `${p.k}: ${p.score.toFixed(4)}`).join(', ')}`] : []),
    '',
    'Plans of the operating region',
    formatRoutingTable(config, op.region),
    '',
    `Frontier (${config.lambda}; figures cross-fitted in ${config.crossFit.folds} folds over the train queries)`,
    formatRegions(config),
    '',
    `Evaluation on the ${where} (cost in ${report.cost.unit} per query, every pass paid)`,
    table(['system', 'accuracy', 'cost', 'retention', 'cost reduction', 'escalated'], rows, ['l', 'r', 'r', 'r', 'r', 'r']),
    '',
    `AIQ ${report.aiq.toFixed(4)} (random routing ${report.baselines.random.aiq.toFixed(4)}) over cost ${num(report.aiqRange[0])}–${num(report.aiqRange[1])}`,
    `${Math.round(report.ci.level * 100)}% bootstrap CI of the system (${report.ci.samples} resamples): retention ${pct(report.ci.retention[0])}–${pct(report.ci.retention[1])}, cost reduction ${pct(report.ci.costReduction[0])}–${pct(report.ci.costReduction[1])}${unanswered}`,
    ...(report.qe ? [`QE: AUROC ${report.qe.auroc.toFixed(3)}, ECE ${report.qe.ece.toFixed(3)} on ${report.qe.answers} evaluated answers (out of fold on train: AUROC ${report.qe.heldOut.auroc.toFixed(3)}, ECE ${report.qe.heldOut.ece.toFixed(3)}); ${report.qe.model}`] : []),
    '',
    'Per cluster on the evaluated queries: the served plan against stage 1 alone',
    table(['cluster', 'n', 'plan', 'accuracy at cost', 'stage 1 plan', 'accuracy at cost', 'stage 2 helped'], perCluster, ['r', 'r', 'l', 'r', 'l', 'r', 'l']),
  ].join('\n');
}

/** Per model, the run log's cells without an answer and why; empty when every model answered every query. */
export function formatUnanswered(tallies: UnansweredTally[], queries: number): string {
  if (tallies.length === 0) return '';
  const rows = tallies.map((t) => [t.model, t.unanswered, pct(t.unanswered / queries), formatReasons(t.byReason)]);
  return `Unanswered cells (unknown, left out of every rate; of ${queries} queries)\n${table(['model', 'unanswered', 'share', 'reasons'], rows, ['l', 'r', 'r', 'l'])}`;
}

/** Whether the cluster's stage-2 plan beat stage 1 on its test queries: yes, no (as accurate or less, at the same cost or more), or a trade-off; blank for the same plan. */
function stage2Verdict(c: EngineReport['perCluster'][number]): string {
  if (c.plan.text === c.stage1Plan.text) return '';
  if (c.helped) return 'yes';
  return c.system.accuracy <= c.stage1.accuracy && c.system.cost >= c.stage1.cost ? 'no' : 'trade-off';
}
