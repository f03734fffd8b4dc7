import { useMemo, type Ref } from 'react';
import type { CandidateView } from '../../core/app-api.js';
import type { FigureMeta } from '../../core/figure-csv.js';
import { cost as fmtCost, pct } from '../format.js';
import { chartTheme } from './chart-theme.js';
import { markerPath, type MarkerShape } from './palette.js';
import { Axes, costAccuracyScales, FigureFooter, FigureHeader, legendLayout, useWidth, type LegendEntry } from './svg-figure.js';

const KIND_SHAPES: Record<CandidateView['kind'], MarkerShape> = { answer: 'square', cascade: 'circle', agree: 'diamond' };
const KIND_NAMES: Record<CandidateView['kind'], string> = { answer: 'answer with one model', cascade: 'cascade (QE threshold)', agree: 'agree-or-escalate' };
const M = { left: 64, right: 20, top: 74, bottom: 50 };
const Z = 1.96;

interface CandidatesChartProps {
  candidates: readonly CandidateView[];
  /** Index of the plan the served region serves; null when none of them (a hand-set threshold). */
  served: number | null;
  costUnit: string;
  dark: boolean;
  meta: FigureMeta;
  height?: number;
  svgRef?: Ref<SVGSVGElement>;
}

/**
 * The plans one cluster's tune compared: accuracy against cost on the cluster's train queries
 * (cross-fitting folds' means, ±1.96 standard errors across folds both ways), the concave hull
 * the λ sweep chooses from, and the plan the served region serves.
 */
export function CandidatesChart({ candidates, served, costUnit, dark, meta, height = 420, svgRef }: CandidatesChartProps) {
  const { ref: wrapRef, width } = useWidth(640, 320);
  const t = useMemo(() => chartTheme(dark), [dark]);
  const s = useMemo(() => {
    const costs = candidates.flatMap((c) => [c.cost, c.cost + Z * (c.costSe ?? 0), Math.max(c.cost - Z * (c.costSe ?? 0), c.cost / 2)]);
    const accs = candidates.flatMap((c) => [Math.min(1, c.accuracy + Z * (c.accuracySe ?? 0)), Math.max(0, c.accuracy - Z * (c.accuracySe ?? 0))]);
    return costAccuracyScales(costs, accs, width, height, M);
  }, [candidates, width, height]);
  const kinds = [...new Set(candidates.map((c) => c.kind))];
  const legend: LegendEntry[] = [
    ...kinds.map((k) => ({ label: KIND_NAMES[k], mark: { kind: 'marker' as const, shape: KIND_SHAPES[k], fill: t.band, stroke: t.text } })),
    { label: 'hull: best plan at some λ (filled)', mark: { kind: 'line', stroke: t.frontier, width: 2, shape: 'circle' } },
    { label: '±1.96 SE across folds', mark: { kind: 'line', stroke: t.muted, width: 1 } },
    { label: 'served plan', mark: { kind: 'marker', shape: 'star', fill: t.accent, stroke: t.point } },
  ];
  const legendHeight = legendLayout(legend, width - M.left - M.right).height;
  const total = height + legendHeight + 8;
  const hull = candidates.filter((c) => c.onHull).sort((a, b) => a.cost - b.cost);
  const win = served === null ? null : candidates[served];
  return (
    <div ref={wrapRef}>
      <svg ref={svgRef} xmlns="http://www.w3.org/2000/svg" width={width} height={total} viewBox={`0 0 ${width} ${total}`} role="img" aria-label={meta.title} data-testid="candidates-chart" fontFamily="DejaVu Sans, system-ui, sans-serif">
        <title>{meta.title}</title>
        <rect x={0} y={0} width={width} height={total} fill={t.background} />
        <FigureHeader meta={meta} t={t} x={M.left} />
        <Axes s={s} t={t} m={M} width={width} height={height} xLabel={`cost per query (${costUnit}${s.log ? ', log scale' : ''}, train)`} yLabel="accuracy (train, out of fold, %)" fmtX={(v) => fmtCost(v, costUnit)} fmtY={(v) => pct(v, 0)} />
        <g stroke={t.muted} strokeWidth={0.8} opacity={0.7}>
          {candidates.map((c, i) => (
            <g key={i}>
              {c.accuracySe !== null && <line x1={s.x(c.cost)} x2={s.x(c.cost)} y1={s.y(Math.min(1, c.accuracy + Z * c.accuracySe))} y2={s.y(Math.max(0, c.accuracy - Z * c.accuracySe))} />}
              {c.costSe !== null && <line x1={s.x(Math.max(c.cost - Z * c.costSe, 1e-12))} x2={s.x(c.cost + Z * c.costSe)} y1={s.y(c.accuracy)} y2={s.y(c.accuracy)} />}
            </g>
          ))}
        </g>
        <polyline points={hull.map((c) => `${s.x(c.cost)},${s.y(c.accuracy)}`).join(' ')} fill="none" stroke={t.frontier} strokeWidth={2} />
        {candidates.map((c, i) => (
          <path key={i} transform={`translate(${s.x(c.cost)} ${s.y(c.accuracy)})`} d={markerPath(KIND_SHAPES[c.kind], c.onHull ? 4.5 : 3.5)} fill={c.onHull ? t.frontier : t.background} stroke={c.onHull ? t.point : t.text} strokeWidth={1}>
            <title>{`${c.plan}: ${pct(c.accuracy)} at ${fmtCost(c.cost, costUnit)}, escalates ${pct(c.escalationRate)}`}</title>
          </path>
        ))}
        {win && (
          <g transform={`translate(${s.x(win.cost)} ${s.y(win.accuracy)})`} data-testid="served-candidate">
            <path d={markerPath('star', 9)} fill={t.accent} stroke={t.point} strokeWidth={1.5} />
          </g>
        )}
        <FigureFooter meta={meta} t={t} m={M} width={width} height={height} legend={legend} />
      </svg>
    </div>
  );
}
