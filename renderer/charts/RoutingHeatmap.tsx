import { memo, useMemo } from 'react';
import type { RoutingTable } from '../../core/app-api.js';
import { cost as fmtCost, pct } from '../format.js';

export type HeatMetric = 'error' | 'cost';

type Cluster = RoutingTable['clusters'][number];

/** One sequential hue whose lightness carries the value, so the heatmap reads in greyscale too. */
function heat(t: number): { background: string; color: string } {
  const lightness = 96 - 70 * Math.min(1, Math.max(0, t));
  return { background: `hsl(214 55% ${lightness}%)`, color: lightness < 58 ? '#ffffff' : '#111111' };
}

/** The mark of a model's place in the served plan: ★ the first pass, then ②, ③ … for the partner and escalations. */
const STEP_MARKS = ['★', '②', '③', '④', '⑤'];

interface RowProps {
  cluster: Cluster;
  models: readonly string[];
  /** The served plan's models, in order. */
  plan: readonly string[];
  metric: HeatMetric;
  scale: HeatScale;
  costUnit: string;
}

// Rows re-render only when their own plan changes, so a slider move touches a row or two.
const HeatRow = memo(function HeatRow({ cluster, models, plan, metric, scale, costUnit }: RowProps) {
  const tasks = cluster.tasks.map((t) => `${t.task} ${t.queries}`).join(', ');
  return (
    <tr data-testid={`routing-row-${cluster.cluster}`} data-chosen={plan[0]} data-plan={plan.join(' → ')}>
      <th scope="row" title={tasks}>
        cluster {cluster.cluster}
        <div className="hint">{cluster.size} train / {cluster.testSize} test queries · {tasks}</div>
      </th>
      {cluster.cells.map((cell, m) => {
        const value = metric === 'error' ? cell.error : cell.cost;
        const step = plan.indexOf(models[m]);
        const text = metric === 'error' ? pct(cell.error, 0) : fmtCost(cell.cost, costUnit);
        const role = step < 0 ? '' : step === 0 ? ', first pass of the served plan' : `, step ${step + 1} of the served plan`;
        const label = `cluster ${cluster.cluster}, ${models[m]}: error ${pct(cell.error)}, cost ${fmtCost(cell.cost, costUnit)} (train)${cell.dominated ? ', dominated' : ''}${role}`;
        return (
          <td
            key={models[m]}
            className={[cell.dominated ? 'dominated' : '', step === 0 ? 'chosen' : step > 0 ? 'in-plan' : ''].join(' ').trim() || undefined}
            style={value === null || cell.dominated ? undefined : heat(scale.toUnit(value))}
            title={label}
            aria-label={label}
          >
            {step >= 0 && <span aria-hidden="true">{STEP_MARKS[step] ?? `${step + 1}`} </span>}
            {text}
          </td>
        );
      })}
    </tr>
  );
});

/** The colour bar under the heatmap: what a shade means, with the scale's values at its ends and middle. */
function ColourScale({ scale, metric, costUnit }: { scale: HeatScale; metric: HeatMetric; costUnit: string }) {
  const stops = Array.from({ length: 11 }, (_, i) => `${heat(i / 10).background} ${i * 10}%`).join(', ');
  const fmt = (v: number) => (metric === 'error' ? pct(v, 0) : fmtCost(v, costUnit));
  return (
    <figure className="colour-scale" aria-label={`Colour scale: ${metric === 'error' ? 'error rate' : `cost per query (${costUnit}, log scale)`}`}>
      <figcaption>{metric === 'error' ? 'Error rate on train (shrunk per cluster)' : `Mean cost per query on train (${costUnit}, log scale)`}</figcaption>
      <div className="colour-bar" style={{ background: `linear-gradient(to right, ${stops})` }} />
      <div className="colour-ticks">
        {[0, 0.5, 1].map((t) => <span key={t}>{fmt(scale.fromUnit(t))}</span>)}
      </div>
    </figure>
  );
}

/** A value ↔ [0, 1] mapping of the cells' shades. */
interface HeatScale {
  toUnit(value: number): number;
  fromUnit(t: number): number;
}

interface RoutingHeatmapProps {
  table: RoutingTable;
  /** The served plan's models per cluster at the current operating point (by cluster index), in order. */
  plans: readonly (readonly string[])[];
  metric: HeatMetric;
}

/** Clusters × models: error rate or cost per cell; the served plan's models marked in order (★ first), dominated models hatched grey. */
export function RoutingHeatmap({ table, plans, metric }: RoutingHeatmapProps) {
  const scale = useMemo((): HeatScale => {
    const values = table.clusters.flatMap((c) => c.cells.map((cell) => (metric === 'error' ? cell.error : cell.cost))).filter((v): v is number => v !== null && v > 0);
    if (metric === 'error') return { toUnit: (v) => v, fromUnit: (t) => t };
    // Costs span orders of magnitude across tiers: a log scale keeps the cheap tiers apart.
    const lo = Math.log10(Math.min(...values));
    const hi = Math.log10(Math.max(...values));
    return { toUnit: (v) => (v <= 0 ? 0 : (Math.log10(v) - lo) / (hi - lo || 1)), fromUnit: (t) => 10 ** (lo + t * (hi - lo)) };
  }, [table, metric]);
  return (
    <>
    <div className="scroll heatmap-scroll" tabIndex={0} role="region" aria-label="Routing table, scrollable">
      <table className="heatmap" data-testid="routing-table">
        <caption className="visually-hidden">
          {metric === 'error' ? 'Error rate' : `Cost per query (${table.costUnit})`} of every model on every cluster (train); ★ marks the served plan's first pass, ② ③ the models it may call next.
        </caption>
        <thead>
          <tr>
            <th scope="col">Cluster</th>
            {table.models.map((m) => (
              <th key={m} scope="col" className="model">{m}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.clusters.map((c) => (
            <HeatRow key={c.cluster} cluster={c} models={table.models} plan={plans[c.cluster] ?? c.planModels} metric={metric} scale={scale} costUnit={table.costUnit} />
          ))}
        </tbody>
      </table>
    </div>
    <ColourScale scale={scale} metric={metric} costUnit={table.costUnit} />
    </>
  );
}
