import { useEffect, useMemo, useRef, useState, type Ref } from 'react';
import type { BudgetView } from '../../core/app-api.js';
import { cost as fmtCost, lambdaRange, pct } from '../format.js';
import type { Baseline } from './baselines.js';
import { chartTheme, type ChartTheme } from './chart-theme.js';
import { markerPath } from './palette.js';

interface FrontierChartProps {
  budget: BudgetView;
  baselines: readonly Baseline[];
  region: number;
  dark: boolean;
  height?: number;
  svgRef?: Ref<SVGSVGElement>;
}

const M = { left: 60, right: 20, top: 28, bottom: 48 };

interface Scales {
  x(v: number): number;
  y(v: number): number;
  xTicks: number[];
  yTicks: number[];
  log: boolean;
}

function niceLogTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) ticks.push(v);
    }
  }
  return ticks;
}

function linearTicks(lo: number, hi: number, count: number): number[] {
  const step = 10 ** Math.floor(Math.log10((hi - lo) / count || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= count) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-12; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

function makeScales(costs: number[], accs: number[], width: number, height: number): Scales {
  const w = width - M.left - M.right;
  const h = height - M.top - M.bottom;
  const positive = costs.filter((c) => c > 0);
  // Costs span orders of magnitude across tiers, so the x axis is logarithmic whenever it can be.
  const log = positive.length === costs.length && positive.length > 0;
  let xLo = Math.min(...costs);
  let xHi = Math.max(...costs);
  if (log) {
    xLo /= 1.4;
    xHi *= 1.4;
  } else {
    const pad = (xHi - xLo) * 0.06 || 1;
    xLo = Math.max(0, xLo - pad);
    xHi += pad;
  }
  const yLo = Math.max(0, Math.min(...accs) - 0.03);
  const yHi = Math.min(1, Math.max(...accs) + 0.03);
  const x = log
    ? (v: number) => M.left + ((Math.log10(v) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * w
    : (v: number) => M.left + ((v - xLo) / (xHi - xLo)) * w;
  const y = (v: number) => M.top + h - ((v - yLo) / (yHi - yLo || 1)) * h;
  return { x, y, log, xTicks: log ? niceLogTicks(xLo, xHi) : linearTicks(xLo, xHi, 6), yTicks: linearTicks(yLo, yHi, 6) };
}

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
  height: number;
  edges: [number, number][];
}

/** Background, bands, grid and axes: under the current region's highlight. */
function BackLayer({ budget, s, t, width, height, edges }: LayerProps) {
  const unit = budget.costUnit;
  return (
    <g>
      <rect x={0} y={0} width={width} height={height} fill={t.background} />
      {edges.map(([a, b], i) => (
        <rect key={i} x={a} y={M.top} width={Math.max(0, b - a)} height={height - M.top - M.bottom} fill={i % 2 === 0 ? t.band : 'none'}>
          <title>{`region ${i}: ${lambdaRange(budget.regions[i].lambdaFrom, budget.regions[i].lambdaTo)}`}</title>
        </rect>
      ))}
      {s.yTicks.map((v) => (
        <g key={`y${v}`}>
          <line x1={M.left} x2={width - M.right} y1={s.y(v)} y2={s.y(v)} stroke={t.grid} />
          <text x={M.left - 6} y={s.y(v) + 4} textAnchor="end" fontSize="11" fill={t.muted}>{pct(v, 0)}</text>
        </g>
      ))}
      {s.xTicks.map((v) => (
        <g key={`x${v}`}>
          <line x1={s.x(v)} x2={s.x(v)} y1={M.top} y2={height - M.bottom} stroke={t.grid} />
          <text x={s.x(v)} y={height - M.bottom + 16} textAnchor="middle" fontSize="11" fill={t.muted}>{fmtCost(v, unit)}</text>
        </g>
      ))}
      <text x={(M.left + width - M.right) / 2} y={height - 8} textAnchor="middle" fontSize="12" fill={t.text}>
        cost per query ({unit}{s.log ? ', log scale' : ''})
      </text>
      <text transform={`translate(14 ${(M.top + height - M.bottom) / 2}) rotate(-90)`} textAnchor="middle" fontSize="12" fill={t.text}>accuracy (test split)</text>
    </g>
  );
}

/** The frontier, single models and baselines: over the current region's highlight. */
function FrontLayer({ budget, baselines, s, t }: LayerProps) {
  const unit = budget.costUnit;
  const pts = budget.regions.map((r) => ({ x: s.x(r.costPerQuery), y: s.y(r.accuracy) })).sort((a, b) => a.x - b.x);
  const singles = baselines.filter((b) => b.kind === 'single');
  const random = baselines.find((b) => b.kind === 'random');
  const cheapest = singles.reduce<Baseline | null>((a, b) => (!a || b.cost < a.cost ? b : a), null);
  const strongest = singles.find((b) => b.label === budget.strongest.model) ?? null;
  const others = baselines.filter((b) => b.kind === 'oracle' || b.kind === 'k1');
  return (
    <g>
      {cheapest && strongest && (
        <line x1={s.x(cheapest.cost)} y1={s.y(cheapest.accuracy)} x2={s.x(strongest.cost)} y2={s.y(strongest.accuracy)} stroke={t.muted} strokeWidth={1.5} strokeDasharray="6 4">
          <title>random routing between {cheapest.label} and {strongest.label}</title>
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
          {(b === strongest || b === cheapest) && (
            <text x={6} y={-7} fontSize="10" fill={t.text}>{b.label}</text>
          )}
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
          <text x={7} y={14} fontSize="10" fill={t.text}>{b.label}</text>
          <title>{`${b.label}: ${pct(b.accuracy)} at ${fmtCost(b.cost, unit)}`}</title>
        </g>
      ))}
    </g>
  );
}

/**
 * Accuracy against cost: the λ-region frontier (shaded bands, one per region), single models,
 * random routing and the operating point. A hand-drawn SVG rather than recharts: the static
 * layers are memoised, so a slider move redraws one band and one marker, and the same element
 * exports as a self-contained SVG or PNG.
 */
export function FrontierChart({ budget, baselines, region, dark, height = 380, svgRef }: FrontierChartProps) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(720);
  useEffect(() => {
    const wrap = wrapRef.current;
    if (!wrap) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(320, Math.floor(entry.contentRect.width))));
    observer.observe(wrap);
    return () => observer.disconnect();
  }, []);

  const t = useMemo(() => chartTheme(dark), [dark]);
  const s = useMemo(() => {
    const costs = [...budget.regions.map((r) => r.costPerQuery), ...baselines.map((b) => b.cost)];
    const accs = [...budget.regions.map((r) => r.accuracy), ...baselines.map((b) => b.accuracy)];
    return makeScales(costs, accs, width, height);
  }, [budget, baselines, width, height]);
  const edges = useMemo(() => bandEdges(budget.regions.map((r) => s.x(r.costPerQuery)), M.left, width - M.right), [budget, s, width]);
  const layers = useMemo(() => {
    const props: LayerProps = { budget, baselines, s, t, width, height, edges };
    return { back: <BackLayer {...props} />, front: <FrontLayer {...props} /> };
  }, [budget, baselines, s, t, width, height, edges]);

  const r = budget.regions[region];
  const px = s.x(r.costPerQuery);
  const py = s.y(r.accuracy);
  const [b0, b1] = edges[region];
  return (
    <div ref={wrapRef}>
      <svg
        ref={svgRef}
        xmlns="http://www.w3.org/2000/svg"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-labelledby="frontier-title frontier-desc"
        data-testid="frontier-chart"
        fontFamily="DejaVu Sans, system-ui, sans-serif"
      >
        <title id="frontier-title">Accuracy–cost frontier</title>
        <desc id="frontier-desc">{`Operating point: region ${region}, accuracy ${pct(r.accuracy)}, cost ${fmtCost(r.costPerQuery, budget.costUnit)} per query.`}</desc>
        {layers.back}
        <rect x={b0} y={M.top} width={Math.max(0, b1 - b0)} height={height - M.top - M.bottom} fill={t.bandCurrent} />
        {layers.front}
        <text x={(b0 + b1) / 2} y={M.top - 8} textAnchor="middle" fontSize="11" fill={t.text}>{lambdaRange(r.lambdaFrom, r.lambdaTo)}</text>
        <line x1={px} x2={px} y1={M.top} y2={height - M.bottom} stroke={t.accent} strokeDasharray="3 3" />
        <line x1={M.left} x2={width - M.right} y1={py} y2={py} stroke={t.accent} strokeDasharray="3 3" />
        <g transform={`translate(${px} ${py})`} data-testid="operating-point" data-cost={r.costPerQuery} data-accuracy={r.accuracy} data-region={region}>
          <path d={markerPath('star', 9)} fill={t.accent} stroke={t.point} strokeWidth={1.5} />
        </g>
      </svg>
    </div>
  );
}
