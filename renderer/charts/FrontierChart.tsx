import { useMemo, type Ref } from 'react';
import type { BudgetView } from '../../core/app-api.js';
import type { FigureMeta } from '../../core/figure-csv.js';
import { cost as fmtCost, lambdaRange, pct } from '../format.js';
import type { Baseline } from './baselines.js';
import { chartTheme, type ChartTheme } from './chart-theme.js';
import { markerPath } from './palette.js';
import { placeLabels } from './label-placement.js';
import { Axes, costAccuracyScales, FigureFooter, FigureHeader, legendLayout, PlacedLabels, useWidth, type LegendEntry, type Margins, type Scales } from './svg-figure.js';

interface FrontierChartProps {
  budget: BudgetView;
  baselines: readonly Baseline[];
  region: number;
  dark: boolean;
  /** Title, data set, config and SIMULATED mark: drawn in the SVG, so exports carry them. */
  meta: FigureMeta;
  height?: number;
  svgRef?: Ref<SVGSVGElement>;
}

const HEADER = 52;
const M = { left: 64, right: 20, top: HEADER + 22, bottom: 50 };

/** The x-extent of each region's band: halfway to its neighbours along the cost axis. */
function bandEdges(xs: number[], left: number, right: number): [number, number][] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const edges: [number, number][] = xs.map(() => [left, right]);
  order.forEach((i, k) => {
    const prev = k > 0 ? (xs[order[k - 1]] + xs[i]) / 2 : left;
    const next = k + 1 < order.length ? (xs[i] + xs[order[k + 1]]) / 2 : right;
    edges[i] = [prev, next];
  });
  return edges;
}

interface LayerProps {
  budget: BudgetView;
  baselines: readonly Baseline[];
  s: Scales;
  t: ChartTheme;
  width: number;
  /** The plot's bottom edge plus its bottom margin (the legend sits below). */
  height: number;
  edges: [number, number][];
  m: Margins;
}

/** What each baseline kind is called on the chart and in its legend. */
const BASELINE_NAMES: Record<string, string> = { random: 'random routing', oracle: 'oracle (best model per query)', k1: 'k = 1 (one cluster)' };

/** Every mark the chart draws, for the legend inside the SVG. */
export function frontierLegend(t: ChartTheme, baselines: readonly Baseline[]): LegendEntry[] {
  const has = (kind: Baseline['kind']) => baselines.some((b) => b.kind === kind);
  return [
    { label: 'λ-region frontier (test split)', mark: { kind: 'line', stroke: t.frontier, width: 2.5, shape: 'circle' } },
    { label: 'λ regions (alternate bands)', mark: { kind: 'band', fill: t.band } },
    { label: 'served region', mark: { kind: 'band', fill: t.bandCurrent } },
    { label: 'operating point', mark: { kind: 'marker', shape: 'star', fill: t.accent, stroke: t.point } },
    ...(has('single') ? [{ label: 'single models', mark: { kind: 'marker' as const, shape: 'square' as const, fill: t.background, stroke: t.text } }] : []),
    ...(has('single') ? [{ label: 'random mix of cheapest and strongest (dashed)', mark: { kind: 'line' as const, stroke: t.muted, dash: '6 4', width: 1.5 } }] : []),
    ...(has('random') ? [{ label: `${BASELINE_NAMES.random}`, mark: { kind: 'marker' as const, shape: 'diamond' as const, fill: t.muted, stroke: t.text } }] : []),
    ...(has('oracle') ? [{ label: `${BASELINE_NAMES.oracle}`, mark: { kind: 'marker' as const, shape: 'triangle' as const, fill: t.text, stroke: t.text } }] : []),
    ...(has('k1') ? [{ label: `${BASELINE_NAMES.k1}`, mark: { kind: 'marker' as const, shape: 'cross' as const, fill: t.text, stroke: t.text } }] : []),
  ];
}

/** Background, bands, grid and axes: under the current region's highlight. */
function BackLayer({ budget, s, t, width, height, edges, m }: LayerProps) {
  const unit = budget.costUnit;
  return (
    <g>
      {edges.map(([a, b], i) => (
        <rect key={i} x={a} y={m.top} width={Math.max(0, b - a)} height={height - m.top - m.bottom} fill={i % 2 === 0 ? t.band : 'none'}>
          <title>{`region ${i}: ${lambdaRange(budget.regions[i].lambdaFrom, budget.regions[i].lambdaTo)}`}</title>
        </rect>
      ))}
      <Axes
        s={s} t={t} m={m} width={width} height={height}
        xLabel={`cost per query (${unit}${s.log ? ', log scale' : ''}), every pass paid`}
        yLabel="accuracy (test split, %)"
        fmtX={(v) => fmtCost(v, unit)}
        fmtY={(v) => pct(v, 0)}
      />
    </g>
  );
}

/** The frontier, single models and baselines: over the current region's highlight. */
function FrontLayer({ budget, baselines, s, t, width, height, m }: LayerProps) {
  const unit = budget.costUnit;
  const pts = budget.regions.map((r) => ({ x: s.x(r.costPerQuery), y: s.y(r.accuracy) })).sort((a, b) => a.x - b.x);
  // Every single model and baseline is named on the plot, the most accurate first (they crowd the top).
  const named = baselines.filter((b) => b.kind === 'single' || b.kind === 'random' || b.kind === 'oracle' || b.kind === 'k1').sort((a, b) => b.accuracy - a.accuracy);
  const labels = placeLabels(
    named.map((b) => ({ x: s.x(b.cost), y: s.y(b.accuracy), text: b.kind === 'single' ? b.label : (BASELINE_NAMES[b.kind] ?? b.label) })),
    [...pts, ...named.map((b) => ({ x: s.x(b.cost), y: s.y(b.accuracy) }))],
    { left: m.left + 2, right: width - m.right - 2, top: m.top + 2, bottom: height - m.bottom - 2 },
  );
  const singles = baselines.filter((b) => b.kind === 'single');
  const random = baselines.find((b) => b.kind === 'random');
  const cheapest = singles.reduce<Baseline | null>((a, b) => (!a || b.cost < a.cost ? b : a), null);
  const strongest = singles.find((b) => b.label === budget.strongest.model) ?? null;
  const others = baselines.filter((b) => b.kind === 'oracle' || b.kind === 'k1');
  return (
    <g>
      {cheapest && strongest && (
        <line x1={s.x(cheapest.cost)} y1={s.y(cheapest.accuracy)} x2={s.x(strongest.cost)} y2={s.y(strongest.accuracy)} stroke={t.muted} strokeWidth={1.5} strokeDasharray="6 4">
          <title>random mix of {cheapest.label} and {strongest.label}</title>
        </line>
      )}
      <polyline points={pts.map((p) => `${p.x},${p.y}`).join(' ')} fill="none" stroke={t.frontier} strokeWidth={2.5} />
      {budget.regions.map((r, i) => (
        <path key={i} transform={`translate(${s.x(r.costPerQuery)} ${s.y(r.accuracy)})`} d={markerPath('circle', 3.5)} fill={t.frontier} stroke={t.background} strokeWidth={1}>
          <title>{`region ${i}: ${pct(r.accuracy)} at ${fmtCost(r.costPerQuery, unit)}, ${lambdaRange(r.lambdaFrom, r.lambdaTo)}`}</title>
        </path>
      ))}
      {singles.map((b) => (
        <g key={b.label} transform={`translate(${s.x(b.cost)} ${s.y(b.accuracy)})`}>
          <path d={markerPath('square', 4)} fill={t.background} stroke={t.text} strokeWidth={1.5} />
          <title>{`${b.label}: ${pct(b.accuracy)} at ${fmtCost(b.cost, unit)}`}</title>
        </g>
      ))}
      {random && (
        <path transform={`translate(${s.x(random.cost)} ${s.y(random.accuracy)})`} d={markerPath('diamond', 5.5)} fill={t.muted} stroke={t.text} strokeWidth={1}>
          <title>{`${random.label}: ${pct(random.accuracy)} at ${fmtCost(random.cost, unit)}`}</title>
        </path>
      )}
      {others.map((b) => (
        <g key={b.label} transform={`translate(${s.x(b.cost)} ${s.y(b.accuracy)})`}>
          <path d={markerPath(b.kind === 'oracle' ? 'triangle' : 'cross', 5)} fill={t.text} />
          <title>{`${BASELINE_NAMES[b.kind] ?? b.label}: ${pct(b.accuracy)} at ${fmtCost(b.cost, unit)}`}</title>
        </g>
      ))}
      <PlacedLabels labels={labels} t={t} />
    </g>
  );
}

/**
 * Accuracy against cost: the λ-region frontier (shaded bands, one per region), single models (each
 * named), random routing, the oracle, k = 1 and the operating point, with its title, provenance,
 * legend and (for made-up data) a SIMULATED mark inside the SVG. Hand-drawn rather than recharts:
 * the static layers are memoised, so a slider move redraws one band and one marker, and the same
 * element exports as a self-contained SVG or PNG.
 */
export function FrontierChart({ budget, baselines, region, dark, meta, height = 440, svgRef }: FrontierChartProps) {
  const { ref: wrapRef, width } = useWidth(720, 320);

  const t = useMemo(() => chartTheme(dark), [dark]);
  const legend = useMemo(() => frontierLegend(t, baselines), [t, baselines]);
  const legendHeight = legendLayout(legend, width - M.left - M.right).height;
  const total = height + legendHeight + 8;
  const s = useMemo(() => {
    const costs = [...budget.regions.map((r) => r.costPerQuery), ...baselines.map((b) => b.cost)];
    const accs = [...budget.regions.map((r) => r.accuracy), ...baselines.map((b) => b.accuracy)];
    return costAccuracyScales(costs, accs, width, height, M);
  }, [budget, baselines, width, height]);
  const edges = useMemo(() => bandEdges(budget.regions.map((r) => s.x(r.costPerQuery)), M.left, width - M.right), [budget, s, width]);
  const layers = useMemo(() => {
    const props: LayerProps = { budget, baselines, s, t, width, height, edges, m: M };
    return { back: <BackLayer {...props} />, front: <FrontLayer {...props} /> };
  }, [budget, baselines, s, t, width, height, edges]);

  const r = budget.regions[region];
  const px = s.x(r.costPerQuery);
  const py = s.y(r.accuracy);
  const [b0, b1] = edges[region];
  // Over the served band, kept whole inside the figure where the band lies at an edge.
  const bandLabel = `region ${region}: ${lambdaRange(r.lambdaFrom, r.lambdaTo)}`;
  const half = (bandLabel.length * 6.6) / 2;
  const bandLabelX = Math.min(Math.max((b0 + b1) / 2, M.left + half), width - M.right - half);
  return (
    <div ref={wrapRef}>
      <svg
        ref={svgRef}
        xmlns="http://www.w3.org/2000/svg"
        width={width}
        height={total}
        viewBox={`0 0 ${width} ${total}`}
        role="img"
        aria-labelledby="frontier-title frontier-desc"
        data-testid="frontier-chart"
        fontFamily="DejaVu Sans, system-ui, sans-serif"
      >
        <title id="frontier-title">{meta.title}</title>
        <desc id="frontier-desc">{`${meta.dataSet}, config ${meta.configId}${meta.simulated ? ', SIMULATED data' : ''}. Operating point: region ${region}, accuracy ${pct(r.accuracy)}, cost ${fmtCost(r.costPerQuery, budget.costUnit)} per query.`}</desc>
        <rect x={0} y={0} width={width} height={total} fill={t.background} />
        <FigureHeader meta={meta} t={t} x={M.left} />
        {layers.back}
        <rect x={b0} y={M.top} width={Math.max(0, b1 - b0)} height={height - M.top - M.bottom} fill={t.bandCurrent} />
        {layers.front}
        <text x={bandLabelX} y={M.top - 6} textAnchor="middle" fontSize="11" fill={t.text}>{bandLabel}</text>
        <line x1={px} x2={px} y1={M.top} y2={height - M.bottom} stroke={t.accent} strokeDasharray="3 3" />
        <line x1={M.left} x2={width - M.right} y1={py} y2={py} stroke={t.accent} strokeDasharray="3 3" />
        <g transform={`translate(${px} ${py})`} data-testid="operating-point" data-cost={r.costPerQuery} data-accuracy={r.accuracy} data-region={region}>
          <path d={markerPath('star', 9)} fill={t.accent} stroke={t.point} strokeWidth={1.5} />
        </g>
        <FigureFooter meta={meta} t={t} m={M} width={width} height={height} legend={legend} />
      </svg>
    </div>
  );
}
