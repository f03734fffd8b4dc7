import { useCallback, useMemo, useRef } from 'react';
import type { BudgetView as BudgetViewData, OperatingPoint, TuneReport } from '../../core/app-api.js';
import { figureCsv, type FigureMeta } from '../../core/figure-csv.js';
import { NotTuned } from '../components/NotTuned.js';
import { readBaselines, type Baseline } from '../charts/baselines.js';
import { FrontierChart } from '../charts/FrontierChart.js';
import { RoutingHeatmap } from '../charts/RoutingHeatmap.js';
import { BudgetSlider } from '../components/BudgetSlider.js';
import { ChartExportButtons } from '../components/ChartExportButtons.js';
import { OperatingPointFigures } from '../components/OperatingPointFigures.js';
import { useApp } from '../store/index.js';

/** What names a figure of this tune outside the app; the config id is the served point's (it follows the slider and hand-set thresholds). */
export function figureMeta(tune: TuneReport, point: OperatingPoint | null, title: string, measuredOn = `test split, ${tune.testQueries} queries`): FigureMeta {
  return { title, dataSet: tune.dataSet, configId: point?.configId ?? tune.configId, simulated: tune.simulated, measuredOn };
}

/** The frontier chart's data: every region and every baseline. */
function frontierCsv(meta: FigureMeta, budget: BudgetViewData, baselines: readonly Baseline[], region: number): string {
  const unit = budget.costUnit.replaceAll(/\W+/g, '_');
  const rows = [
    ...budget.regions.map((r, i) => [i === region ? 'region (served)' : 'region', `region ${i}`, r.costPerQuery, r.accuracy, r.escalationRate, r.lambdaFrom, r.lambdaTo]),
    ...baselines.map((b) => [b.kind, b.label, b.cost, b.accuracy, null, null, null]),
  ];
  return figureCsv(meta, ['kind', 'label', `cost_per_query_${unit}`, 'accuracy', 'escalation_rate', 'lambda_from', 'lambda_to'], rows);
}

/** The accuracy–cost frontier with its export buttons (SVG, PNG, CSV), as the Budget and Export views show it. */
export function FrontierFigure({ height }: { height?: number }) {
  const budget = useApp((s) => s.budget);
  const tune = useApp((s) => s.tune);
  const region = useApp((s) => s.region);
  const dark = useApp((s) => s.theme === 'dark');
  const models = useApp((s) => s.routingTable?.models);
  const point = useApp((s) => s.enginePoint);
  const svgRef = useRef<SVGSVGElement>(null);
  const baselines = useMemo(() => (tune ? readBaselines(tune.evaluation, models ?? []) : []), [tune, models]);
  const meta = useMemo(() => (tune ? figureMeta(tune, point, 'Accuracy–cost frontier') : null), [tune, point]);
  const csv = useCallback(() => frontierCsv(meta!, budget!, baselines, region), [meta, budget, baselines, region]);
  if (!budget || !meta) return null;
  return (
    <>
      <FrontierChart budget={budget} baselines={baselines} region={region} dark={dark} meta={meta} svgRef={svgRef} {...(height !== undefined && { height })} />
      <ChartExportButtons svgRef={svgRef} baseName="frontier" csv={csv} />
    </>
  );
}

export function BudgetView() {
  const budget = useApp((s) => s.budget);
  const tune = useApp((s) => s.tune);
  const region = useApp((s) => s.region);
  const table = useApp((s) => s.routingTable);
  if (!budget || !tune) return <div className="view"><NotTuned what="budget" /></div>;
  return (
    <div className="view">
      <section className="panel" aria-labelledby="budget-title">
        <h2 id="budget-title">Budget</h2>
        <BudgetSlider />
        <OperatingPointFigures />
      </section>
      {/* The frontier takes the whole width (a wide figure reads its labels best); the heatmap needs it too, so it goes below. */}
      <section className="panel" aria-labelledby="frontier-heading">
        <h2 id="frontier-heading">Accuracy–cost frontier</h2>
        <FrontierFigure height={480} />
      </section>
      {table && (
        <section className="panel" aria-labelledby="budget-routing-title">
          <h2 id="budget-routing-title">Routing at this budget</h2>
          <RoutingHeatmap table={table} plans={budget.regions[region].planModels} metric="error" />
        </section>
      )}
    </div>
  );
}
