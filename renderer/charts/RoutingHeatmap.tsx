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

interface RowProps {
  cluster: Cluster;
  models: readonly string[];
  chosen: string;
  metric: HeatMetric;
  scale(value: number): number;
  costUnit: string;
}

// Rows re-render only when their own chosen model changes, so a slider move touches a row or two.
const HeatRow = memo(function HeatRow({ cluster, models, chosen, metric, scale, costUnit }: RowProps) {
  const tasks = cluster.tasks.map((t) => `${t.task} ${t.queries}`).join(', ');
  return (
    <tr data-testid={`routing-row-${cluster.cluster}`} data-chosen={chosen}>
      <th scope="row" title={tasks}>
        cluster {cluster.cluster}
        <div className="hint">{cluster.size} q · {tasks}</div>
      </th>
      {cluster.cells.map((cell, m) => {
        const value = metric === 'error' ? cell.error : cell.cost;
        const isChosen = models[m] === chosen;
        const text = metric === 'error' ? pct(cell.error, 0) : fmtCost(cell.cost, costUnit);
        const label = `cluster ${cluster.cluster}, ${models[m]}: error ${pct(cell.error)}, cost ${fmtCost(cell.cost, costUnit)}${cell.dominated ? ', dominated' : ''}${isChosen ? ', chosen' : ''}`;
        return (
          <td
            key={models[m]}
            className={[cell.dominated ? 'dominated' : '', isChosen ? 'chosen' : ''].join(' ').trim() || undefined}
            style={value === null || cell.dominated ? undefined : heat(scale(value))}
            title={label}
            aria-label={label}
          >
            {isChosen && <span aria-hidden="true">★ </span>}
            {text}
          </td>
        );
      })}
    </tr>
  );
});

interface RoutingHeatmapProps {
  table: RoutingTable;
  /** The chosen model per cluster at the current operating point (by cluster index). */
  routing: readonly string[];
  metric: HeatMetric;
}

/** Clusters × models: error rate or cost per cell; the routed model starred and outlined, dominated models hatched grey. */
export function RoutingHeatmap({ table, routing, metric }: RoutingHeatmapProps) {
  const scale = useMemo(() => {
    const values = table.clusters.flatMap((c) => c.cells.map((cell) => (metric === 'error' ? cell.error : cell.cost))).filter((v): v is number => v !== null && v > 0);
    if (metric === 'error') return (v: number) => v;
    // Costs span orders of magnitude across tiers: a log scale keeps the cheap tiers apart.
    const lo = Math.log10(Math.min(...values));
    const hi = Math.log10(Math.max(...values));
    return (v: number) => (v <= 0 ? 0 : (Math.log10(v) - lo) / (hi - lo || 1));
  }, [table, metric]);
  return (
    <div className="scroll" tabIndex={0} role="region" aria-label="Routing table, scrollable">
      <table className="heatmap" data-testid="routing-table">
        <caption className="visually-hidden">
          {metric === 'error' ? 'Error rate' : `Cost per query (${table.costUnit})`} of every model on every cluster; ★ marks the routed model.
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
            <HeatRow key={c.cluster} cluster={c} models={table.models} chosen={routing[c.cluster] ?? c.chosen} metric={metric} scale={scale} costUnit={table.costUnit} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
