import { useCallback, useMemo, useRef, useState } from 'react';
import type { RoutingTable } from '../../core/app-api.js';
import { figureCsv } from '../../core/figure-csv.js';
import { NotTuned } from '../components/NotTuned.js';
import { BudgetSlider } from '../components/BudgetSlider.js';
import { ChartExportButtons } from '../components/ChartExportButtons.js';
import { CandidatesChart } from '../charts/CandidatesChart.js';
import { RoutingHeatmap, type HeatMetric } from '../charts/RoutingHeatmap.js';
import { cost as fmtCost, count, pct } from '../format.js';
import { useApp } from '../store/index.js';
import { figureMeta } from './BudgetView.js';

/** ± 1.96 standard errors, or nothing when unknown. */
const interval = (se: number | null, fmt: (v: number) => string) => (se === null ? '' : ` ± ${fmt(1.96 * se)}`);

/** Why a cluster is served the plan it is: every plan the tuner compared for it, the hull it chose from, and the winner at the served region. */
function WhyThisPlan({ table }: { table: RoutingTable }) {
  const [cluster, setCluster] = useState(0);
  const tune = useApp((s) => s.tune);
  const dark = useApp((s) => s.theme === 'dark');
  const region = useApp((s) => s.region);
  const point = useApp((s) => s.enginePoint);
  const svgRef = useRef<SVGSVGElement>(null);
  const row = table.clusters[Math.min(cluster, table.clusters.length - 1)];
  const meta = useMemo(
    () => (tune ? figureMeta(tune, point, `Plans compared for cluster ${row.cluster}`, `train split, cluster ${row.cluster} (${row.size} queries), cross-fitted`) : null),
    [tune, point, row],
  );
  const c = row.candidates;
  const csv = useCallback(() => {
    const unit = table.costUnit.replaceAll(/\W+/g, '_');
    return figureCsv(meta!, ['plan', 'kind', 'accuracy', 'accuracy_se', `cost_per_query_${unit}`, 'cost_se', 'escalation_rate', 'on_hull', 'served'],
      c!.shown.map((p, i) => [p.plan, p.kind, p.accuracy, p.accuracySe, p.cost, p.costSe, p.escalationRate, p.onHull ? 1 : 0, i === c!.served ? 1 : 0]));
  }, [meta, c, table.costUnit]);
  const pctPoints = (v: number) => pct(v, 1);
  const costOf = (v: number) => fmtCost(v, table.costUnit);
  return (
    <section className="panel" aria-labelledby="why-title" data-testid="why-plan">
      <h2 id="why-title">Why this plan</h2>
      <div className="row">
        <label className="inline">
          Cluster
          <select value={row.cluster} onChange={(e) => setCluster(Number(e.target.value))} aria-label="Cluster to explain">
            {table.clusters.map((r) => <option key={r.cluster} value={r.cluster}>cluster {r.cluster} ({r.size} train / {r.testSize} test queries)</option>)}
          </select>
        </label>
        <p className="grow" data-testid="why-served">
          Served at region {region}: <strong>{row.plan}</strong>.{' '}
          {c === null
            ? 'The compared plans come with a tune in this app; an imported config does not carry them.'
            : c.served === null
              ? 'A QE threshold was set by hand: the served plan is a manual override, not one the tuner compared.'
              : `The tuner compared ${count(c.compared)} plans on this cluster's train queries; the ★ is the one that minimises error + λ·cost at this region.`}
        </p>
      </div>
      {c && meta && (
        <div className="columns">
          <figure className="grow-2">
            <CandidatesChart candidates={c.shown} served={c.served} costUnit={table.costUnit} dark={dark} meta={meta} svgRef={svgRef} />
            <figcaption className="hint">
              Each mark is a plan ({c.shown.length} of {count(c.compared)} shown: every single model, the hull, and a sample of the rest). Figures are out of fold on the cluster&apos;s train queries; bars are ±1.96 standard errors across the cross-fitting folds. The λ sweep picks from the hull; where a stage-2 plan&apos;s gain over a single model is not supported, the guard keeps the single model.
            </figcaption>
            <ChartExportButtons svgRef={svgRef} baseName={`cluster-${row.cluster}-plans`} csv={csv} what="plans chart" />
          </figure>
          <div className="grow-1 scroll">
            <table className="data" data-testid="why-hull">
              <caption>Hull plans, cheapest first</caption>
              <thead><tr><th scope="col">Plan</th><th scope="col">Accuracy</th><th scope="col">Cost / query</th><th scope="col">Escalated</th></tr></thead>
              <tbody>
                {c.shown.map((p, i) => ({ p, i })).filter(({ p }) => p.onHull).sort((a, b) => a.p.cost - b.p.cost).map(({ p, i }) => (
                  <tr key={i} aria-current={i === c.served ? 'true' : undefined} className={i === c.served ? 'served' : undefined}>
                    <td>{i === c.served && <span aria-label="served">★ </span>}{p.plan}</td>
                    <td>{pct(p.accuracy)}{interval(p.accuracySe, pctPoints)}</td>
                    <td>{costOf(p.cost)}{interval(p.costSe, costOf)}</td>
                    <td>{pct(p.escalationRate, 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}

export function RoutingView() {
  const table = useApp((s) => s.routingTable);
  const plans = useApp((s) => s.budget?.regions[s.region]?.planModels);
  const [metric, setMetric] = useState<HeatMetric>('error');
  return (
    <div className="view">
      <section className="panel" aria-labelledby="routing-title">
        <h2 id="routing-title">Routing table</h2>
        <BudgetSlider />
        <div className="row">
          <fieldset className="inline">
            <legend className="visually-hidden">Cells show</legend>
            <label className="inline">
              <input type="radio" name="heat-metric" checked={metric === 'error'} onChange={() => setMetric('error')} /> Error rate
            </label>
            <label className="inline">
              <input type="radio" name="heat-metric" checked={metric === 'cost'} onChange={() => setMetric('cost')} /> Cost per query
            </label>
          </fieldset>
          <p className="hint grow">
            Train-split statistics per cluster and model. Darker is higher (scale below). ★ and a thick outline mark the served plan&apos;s first pass; ② ③ and a dashed outline the models it may call next (agreement partner, escalations); hatched grey cells are dominated (another model is no worse on error and cost).
          </p>
        </div>
        {table && plans ? <RoutingHeatmap table={table} plans={plans} metric={metric} /> : <NotTuned what="routing table" />}
      </section>
      {table && <WhyThisPlan table={table} />}
    </div>
  );
}
