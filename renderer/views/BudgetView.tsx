import { useMemo, useRef } from 'react';
import { NotTuned } from '../components/NotTuned.js';
import { readBaselines } from '../charts/baselines.js';
import { FrontierChart } from '../charts/FrontierChart.js';
import { Legend } from '../charts/Legend.js';
import { RoutingHeatmap } from '../charts/RoutingHeatmap.js';
import { BudgetSlider } from '../components/BudgetSlider.js';
import { ChartExportButtons } from '../components/ChartExportButtons.js';
import { OperatingPointFigures } from '../components/OperatingPointFigures.js';
import { useApp } from '../store/index.js';

export function FrontierLegend() {
  const dark = useApp((s) => s.theme === 'dark');
  const items = useMemo(() => {
    const base = { color: dark ? '#8fb8ff' : '#1d4f91', dash: '' };
    return [
      { label: 'λ-region frontier (bands: one region each)', style: { ...base, shape: 'circle' as const } },
      { label: 'single models', style: { color: 'transparent', dash: '', shape: 'square' as const } },
      { label: 'random routing', style: { color: '#777777', dash: '6 4', shape: 'diamond' as const }, line: true },
      { label: 'operating point', style: { color: dark ? '#ffb366' : '#b34700', dash: '', shape: 'star' as const } },
    ];
  }, [dark]);
  return <Legend label="Frontier chart legend" items={items} />;
}

export function BudgetView() {
  const budget = useApp((s) => s.budget);
  const tune = useApp((s) => s.tune);
  const region = useApp((s) => s.region);
  const dark = useApp((s) => s.theme === 'dark');
  const table = useApp((s) => s.routingTable);
  const models = useApp((s) => s.routingTable?.models);
  const svgRef = useRef<SVGSVGElement>(null);
  const baselines = useMemo(() => (tune ? readBaselines(tune.evaluation, models ?? []) : []), [tune, models]);
  if (!budget || !tune) return <div className="view"><NotTuned what="budget" /></div>;
  return (
    <div className="view">
      <section className="panel" aria-labelledby="budget-title">
        <h2 id="budget-title">Budget</h2>
        <BudgetSlider />
        <OperatingPointFigures />
      </section>
      <section className="panel" aria-labelledby="frontier-heading">
        <h2 id="frontier-heading">Accuracy–cost frontier</h2>
        <FrontierChart budget={budget} baselines={baselines} region={region} dark={dark} svgRef={svgRef} />
        <FrontierLegend />
        <ChartExportButtons svgRef={svgRef} baseName="frontier" />
      </section>
      {table && (
        <section className="panel" aria-labelledby="budget-routing-title">
          <h2 id="budget-routing-title">Routing at this budget</h2>
          <RoutingHeatmap table={table} routing={budget.regions[region].routing} metric="error" />
        </section>
      )}
    </div>
  );
}
