import { useEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import type { FigureMeta } from '../../core/figure-csv.js';
import type { PlacedLabel } from './label-placement.js';
import type { ChartTheme } from './chart-theme.js';
import { markerPath, type MarkerShape } from './palette.js';

/*
 * The parts every hand-drawn SVG figure shares, so that what is exported (SVG, PNG) is a whole
 * figure on its own: title and provenance line, axes with titles, the legend drawn inside the
 * SVG, and a SIMULATED watermark over made-up data.
 */

export interface Margins {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface Scales {
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

/** Cost (x, log whenever every cost is positive) against accuracy (y) inside the margins. */
export function costAccuracyScales(costs: number[], accs: number[], width: number, height: number, m: Margins): Scales {
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
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
    ? (v: number) => m.left + ((Math.log10(Math.max(v, xLo)) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * w
    : (v: number) => m.left + ((v - xLo) / (xHi - xLo)) * w;
  const y = (v: number) => m.top + h - ((v - yLo) / (yHi - yLo || 1)) * h;
  return { x, y, log, xTicks: log ? niceLogTicks(xLo, xHi) : linearTicks(xLo, xHi, 6), yTicks: linearTicks(yLo, yHi, 6) };
}

/** Grid, tick labels and axis titles. */
export function Axes({ s, t, m, width, height, xLabel, yLabel, fmtX, fmtY }: {
  s: Scales; t: ChartTheme; m: Margins; width: number; height: number; xLabel: string; yLabel: string; fmtX(v: number): string; fmtY(v: number): string;
}) {
  return (
    <g>
      {s.yTicks.map((v) => (
        <g key={`y${v}`}>
          <line x1={m.left} x2={width - m.right} y1={s.y(v)} y2={s.y(v)} stroke={t.grid} />
          <text x={m.left - 6} y={s.y(v) + 4} textAnchor="end" fontSize="11" fill={t.muted}>{fmtY(v)}</text>
        </g>
      ))}
      {s.xTicks.map((v) => (
        <g key={`x${v}`}>
          <line x1={s.x(v)} x2={s.x(v)} y1={m.top} y2={height - m.bottom} stroke={t.grid} />
          <text x={s.x(v)} y={height - m.bottom + 16} textAnchor="middle" fontSize="11" fill={t.muted}>{fmtX(v)}</text>
        </g>
      ))}
      <rect x={m.left} y={m.top} width={width - m.left - m.right} height={height - m.top - m.bottom} fill="none" stroke={t.muted} strokeWidth={0.8} />
      <text x={(m.left + width - m.right) / 2} y={height - m.bottom + 36} textAnchor="middle" fontSize="12" fill={t.text}>{xLabel}</text>
      <text transform={`translate(14 ${(m.top + height - m.bottom) / 2}) rotate(-90)`} textAnchor="middle" fontSize="12" fill={t.text}>{yLabel}</text>
    </g>
  );
}

/** Title and provenance above the plot. */
export function FigureHeader({ meta, t, x }: { meta: FigureMeta; t: ChartTheme; x: number }) {
  return (
    <g data-testid="figure-header">
      <text x={x} y={20} fontSize="15" fontWeight="700" fill={t.text}>{meta.title}</text>
      <text x={x} y={38} fontSize="11" fill={t.muted}>
        {`data set: ${meta.dataSet} · config ${meta.configId} · ${meta.measuredOn}${meta.simulated ? ' · SIMULATED data' : ''}`}
      </text>
    </g>
  );
}

/** A diagonal SIMULATED mark across the plot: a figure of made-up data must not pass for a measurement. */
export function Watermark({ t, m, width, height }: { t: ChartTheme; m: Margins; width: number; height: number }) {
  const cx = (m.left + width - m.right) / 2;
  const cy = (m.top + height - m.bottom) / 2;
  return (
    <text x={cx} y={cy} transform={`rotate(-20 ${cx} ${cy})`} textAnchor="middle" dominantBaseline="middle" fontSize={Math.min(72, width / 9)} fontWeight="800" fill={t.text} opacity={0.1} letterSpacing="6" data-testid="simulated-watermark" pointerEvents="none">
      SIMULATED
    </text>
  );
}

export interface LegendEntry {
  label: string;
  /** A marker, a line (optionally dashed), or a filled band. */
  mark: { kind: 'marker'; shape: MarkerShape; fill: string; stroke: string } | { kind: 'line'; stroke: string; dash?: string; width?: number; shape?: MarkerShape } | { kind: 'band'; fill: string };
}

const CHAR_PX = 6.3;
const ENTRY_GAP = 18;
const ROW_H = 18;

/** Rows of legend entries within `width`; returns their positions and the height they take. */
export function legendLayout(entries: readonly LegendEntry[], width: number): { at: { x: number; row: number }[]; height: number } {
  const at: { x: number; row: number }[] = [];
  let x = 0;
  let row = 0;
  for (const e of entries) {
    const w = 26 + e.label.length * CHAR_PX;
    if (x > 0 && x + w > width) {
      row++;
      x = 0;
    }
    at.push({ x, row });
    x += w + ENTRY_GAP;
  }
  return { at, height: entries.length ? (row + 1) * ROW_H : 0 };
}

/** The legend, drawn inside the SVG so an exported figure keeps it. */
export function SvgLegend({ entries, t, x, y, width }: { entries: readonly LegendEntry[]; t: ChartTheme; x: number; y: number; width: number }) {
  const { at } = legendLayout(entries, width);
  return (
    <g data-testid="svg-legend" aria-label="Legend">
      {entries.map((e, i) => {
        const ex = x + at[i].x;
        const ey = y + at[i].row * ROW_H + ROW_H / 2;
        let swatch: ReactNode;
        if (e.mark.kind === 'marker') swatch = <path transform={`translate(${ex + 10} ${ey})`} d={markerPath(e.mark.shape, 5)} fill={e.mark.fill} stroke={e.mark.stroke} strokeWidth={1.2} />;
        else if (e.mark.kind === 'band') swatch = <rect x={ex} y={ey - 6} width={20} height={12} fill={e.mark.fill} stroke={t.muted} strokeWidth={0.5} />;
        else {
          swatch = (
            <g>
              <line x1={ex} x2={ex + 20} y1={ey} y2={ey} stroke={e.mark.stroke} strokeWidth={e.mark.width ?? 2} strokeDasharray={e.mark.dash} />
              {e.mark.shape && <path transform={`translate(${ex + 10} ${ey})`} d={markerPath(e.mark.shape, 3.5)} fill={e.mark.stroke} />}
            </g>
          );
        }
        return (
          <g key={e.label}>
            {swatch}
            <text x={ex + 26} y={ey + 4} fontSize="11" fill={t.text}>{e.label}</text>
          </g>
        );
      })}
    </g>
  );
}

/** What ends every figure: the SIMULATED watermark over made-up data, and the legend below the plot. */
export function FigureFooter({ meta, t, m, width, height, legend }: { meta: FigureMeta; t: ChartTheme; m: Margins; width: number; height: number; legend: readonly LegendEntry[] }) {
  return (
    <>
      {meta.simulated && <Watermark t={t} m={m} width={width} height={height} />}
      <SvgLegend entries={legend} t={t} x={m.left} y={height + 4} width={width - m.left - m.right} />
    </>
  );
}

/** Labels placed by `placeLabels`, with leader lines where they moved away from their points. */
export function PlacedLabels({ labels, t, fontPx = 10 }: { labels: readonly PlacedLabel[]; t: ChartTheme; fontPx?: number }) {
  return (
    <g data-testid="direct-labels">
      {labels.map((l) => (
        <g key={l.text}>
          {l.leader && <line x1={l.x} y1={l.y} x2={l.lx} y2={l.ly - fontPx / 3} stroke={t.muted} strokeWidth={0.7} />}
          <text x={l.lx} y={l.ly} textAnchor={l.anchor} fontSize={fontPx} fill={t.text} paintOrder="stroke" stroke={t.background} strokeWidth={3} strokeLinejoin="round">{l.text}</text>
        </g>
      ))}
    </g>
  );
}

/** The width of the element `ref` is on, kept current as it resizes (at least `min`). */
export function useWidth(initial: number, min: number): { ref: RefObject<HTMLDivElement | null>; width: number } {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    const wrap = ref.current;
    if (!wrap) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(min, Math.floor(entry.contentRect.width))));
    observer.observe(wrap);
    return () => observer.disconnect();
  }, [min]);
  return { ref, width };
}
