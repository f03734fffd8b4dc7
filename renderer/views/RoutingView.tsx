import { useState } from 'react';
import { NotTuned } from '../components/NotTuned.js';
import { BudgetSlider } from '../components/BudgetSlider.js';
import { RoutingHeatmap, type HeatMetric } from '../charts/RoutingHeatmap.js';
import { useApp } from '../store/index.js';

export function RoutingView() {
  const table = useApp((s) => s.routingTable);
  const routing = useApp((s) => s.budget?.regions[s.region]?.routing);
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
          <p className="hint">Darker is higher. ★ and a thick outline mark each cluster's routed model; hatched grey cells are dominated (another model is no worse on error and cost).</p>
        </div>
        {table && routing ? <RoutingHeatmap table={table} routing={routing} metric={metric} /> : <NotTuned what="routing table" />}
      </section>
    </div>
  );
}
