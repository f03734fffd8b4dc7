import type { TunedConfig } from '../../core/config.js';
import { formatStage2Fields, type Stage2ReportFields } from '../../core/cascade/stage2.js';
import type { EngineReport } from '../../core/report.js';
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

/** The routing table: per cluster, size, topic and the routed model with its train figures. */
export function formatRoutingTable(config: TunedConfig, region = config.operatingPoint.region): string {
  const route = config.regions[region].route;
  const rows = config.clusters.map((c, i) => {
    const s = c.stats[route[i]];
    return [i, c.size, c.topTask, s.model, s.errorRate === null ? '—' : pct(1 - s.errorRate), pct(1 - s.shrunkErrorRate), `${pct(1 - s.interval[1])}–${pct(1 - s.interval[0])}`, num(s.meanCost), c.stats.filter((x) => x.eligible).length];
  });
  return table(['cluster', 'train n', 'top task', 'routed to', 'acc', 'shrunk acc', '90% interval', `cost (${config.cost.unit})`, 'Pareto models'], rows, ['r', 'r', 'l', 'l', 'r', 'r', 'r', 'r', 'r']);
}

/** The λ regions with the operating point marked. */
export function formatRegions(config: TunedConfig): string {
  const rows = config.regions.map((r, i) => [
    i === config.operatingPoint.region ? '→' : '',
    num(r.lambdaFrom),
    r.lambdaTo === null ? '∞' : num(r.lambdaTo),
    pct(r.expectedAccuracy),
    pct(r.expectedAccuracy / config.strongest.accuracy),
    num(r.expectedCost),
    new Set(r.route).size,
  ]);
  return table(['', 'λ from', 'λ to', 'train acc', 'train retention', `cost (${config.cost.unit})`, 'models used'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r']);
}

function criterionText(c: TunedConfig['operatingPoint']['criterion'], unit: string): string {
  switch (c.kind) {
    case 'budget':
      return `budget ${c.budget} ${unit} per query`;
    case 'targetRetention':
      return `target retention ${c.targetRetention} (on train)`;
    case 'lambda':
      return `λ = ${c.lambda}`;
  }
}

/** The report as readable text: operating point, system vs strongest, baselines, AIQ and CI. */
export function formatReport(report: EngineReport & Partial<Stage2ReportFields>, config: TunedConfig): string {
  const op = report.operatingPoint;
  const where = report.evaluatedOn === 'test-split' ? 'test split' : 'all queries (the config was tuned on another log)';
  const m = (name: string, x: { accuracy: number; cost: number; retention: number; costReduction: number }) => [name, pct(x.accuracy), num(x.cost), pct(x.retention), pct(x.costReduction)];
  const rows = [
    m(report.system.escalationRate > 0 ? `system (escalates ${pct(report.system.escalationRate)})` : 'system', report.system),
    ...(report.system.accuracy !== report.stage1.accuracy || report.system.cost !== report.stage1.cost ? [m('stage 1 alone', report.stage1)] : []),
    m(`strongest: ${report.strongest.model}`, { ...report.strongest, retention: 1, costReduction: 0 }),
    m(`random (${report.baselines.random.between.join(' / ')})`, report.baselines.random),
    m('per-query oracle', report.baselines.oracle),
    ...(report.baselines.k1 ? [m(`k = 1 (${report.baselines.k1.model})`, report.baselines.k1)] : []),
    ...Object.entries(report.baselines.single)
      .sort((a, b) => b[1].cost - a[1].cost)
      .map(([name, x]) => m(`  ${name}`, x)),
  ];
  const unanswered = report.system.unanswered > 0 ? `\n${report.system.unanswered} routed queries had no answer from their model: left out of accuracy and cost.` : '';
  return [
    `Operating point: region ${op.region} (λ ${num(op.lambdaFrom)} to ${op.lambdaTo === null ? '∞' : num(op.lambdaTo)}), chosen by ${criterionText(op.criterion, config.cost.unit)}`,
    `k = ${report.k} clusters (${config.clustering.selection === 'cv' ? 'chosen by routing-quality cross-validation within train' : 'set by hand'}); split ${report.split.train} train / ${report.split.test} evaluated, on the ${where}`,
    ...(config.clustering.cvCurve.length > 0 ? [`  held-out AIQ by k: ${config.clustering.cvCurve.map((p) => `${p.k}: ${p.score.toFixed(4)}`).join(', ')}`] : []),
    ...(config.clustering.silhouetteCurve.length > 0 ? [`  silhouette by k:   ${config.clustering.silhouetteCurve.map((p) => `${p.k}: ${p.score.toFixed(4)}`).join(', ')}`] : []),
    '',
    'Routing table',
    formatRoutingTable(config, op.region),
    '',
    'λ regions (train figures)',
    formatRegions(config),
    '',
    `Evaluation on the ${where} (cost in ${report.cost.unit} per query)`,
    table(['router', 'accuracy', 'cost', 'retention', 'cost reduction'], rows, ['l', 'r', 'r', 'r', 'r']),
    '',
    `AIQ ${report.aiq.toFixed(4)} (random routing ${report.baselines.random.aiq.toFixed(4)}) over cost ${num(report.aiqRange[0])}–${num(report.aiqRange[1])}`,
    `${Math.round(report.ci.level * 100)}% bootstrap CI of stage 1 (${report.ci.samples} resamples): retention ${pct(report.ci.retention[0])}–${pct(report.ci.retention[1])}, cost reduction ${pct(report.ci.costReduction[0])}–${pct(report.ci.costReduction[1])}${unanswered}`,
    ...(report.stage2 ? ['', formatStage2Fields(report as EngineReport & Stage2ReportFields, config.cost.unit)] : []),
  ].join('\n');
}

/** Per model, the run log's cells without an answer and why; empty when every model answered every query. */
export function formatUnanswered(tallies: UnansweredTally[], queries: number): string {
  if (tallies.length === 0) return '';
  const rows = tallies.map((t) => [t.model, t.unanswered, pct(t.unanswered / queries), formatReasons(t.byReason)]);
  return `Unanswered cells (unknown, left out of every rate; of ${queries} queries)\n${table(['model', 'unanswered', 'share', 'reasons'], rows, ['l', 'r', 'r', 'l'])}`;
}
