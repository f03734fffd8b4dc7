import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { drawMarker, type SeriesStyle } from './palette.js';

export interface ScatterData {
  xs: Float32Array;
  ys: Float32Array;
  /** Series index of each point, into `styles`. */
  series: Uint16Array;
}

interface ScatterCanvasProps {
  data: ScatterData;
  styles: readonly SeriesStyle[];
  height: number;
  label: string;
  /** The hover card's text for point i. */
  describe(i: number): string;
  onOpen(i: number): void;
  /** Told which point the pointer or the keyboard is on (-1: none), e.g. to fetch more for its card. */
  onHover?(i: number): void;
}

const PAD = 14;
const RADIUS = 3.2;
const HIT_PX = 9;
const CELL = 16;

/** Screen positions of every point and a uniform grid over them, so a hover test looks at a few cells only. */
interface Layout {
  px: Float32Array;
  py: Float32Array;
  cols: number;
  cells: Map<number, number[]>;
}

function layoutPoints(data: ScatterData, width: number, height: number): Layout {
  const n = data.xs.length;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, data.xs[i]);
    maxX = Math.max(maxX, data.xs[i]);
    minY = Math.min(minY, data.ys[i]);
    maxY = Math.max(maxY, data.ys[i]);
  }
  const sx = (width - 2 * PAD) / (maxX - minX || 1);
  const sy = (height - 2 * PAD) / (maxY - minY || 1);
  const px = new Float32Array(n);
  const py = new Float32Array(n);
  const cols = Math.ceil(width / CELL);
  const cells = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    px[i] = PAD + (data.xs[i] - minX) * sx;
    py[i] = height - PAD - (data.ys[i] - minY) * sy;
    const key = Math.floor(py[i] / CELL) * cols + Math.floor(px[i] / CELL);
    const cell = cells.get(key);
    if (cell) cell.push(i);
    else cells.set(key, [i]);
  }
  return { px, py, cols, cells };
}

function nearest(layout: Layout, x: number, y: number): number {
  const cx = Math.floor(x / CELL);
  const cy = Math.floor(y / CELL);
  let best = -1;
  let bestD = HIT_PX * HIT_PX;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      for (const i of layout.cells.get((cy + dy) * layout.cols + cx + dx) ?? []) {
        const d = (layout.px[i] - x) ** 2 + (layout.py[i] - y) ** 2;
        if (d < bestD) {
          bestD = d;
          best = i;
        }
      }
    }
  }
  return best;
}

function prepare(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D | null {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  ctx?.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/**
 * A scatter plot of a few thousand points on two canvases: the points are drawn once per data,
 * style or size change, and hovering only repaints a small overlay, so a mouse move costs a grid
 * lookup and one marker instead of a React render of every point.
 */
export function ScatterCanvas({ data, styles, height, label, describe, onOpen, onHover }: ScatterCanvasProps) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const baseRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(640);
  const [hover, setHover] = useState(-1);

  useEffect(() => {
    const wrap = wrapRef.current;
    if (!wrap) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(240, Math.floor(entry.contentRect.width))));
    observer.observe(wrap);
    return () => observer.disconnect();
  }, []);

  const layout = useMemo(() => layoutPoints(data, width, height), [data, width, height]);
  useEffect(() => onHover?.(hover), [hover, onHover]);
  // Keyboard order: left to right, so arrow keys walk across the map.
  const order = useMemo(() => Array.from(layout.px.keys()).sort((a, b) => layout.px[a] - layout.px[b]), [layout]);

  useEffect(() => {
    const canvas = baseRef.current;
    const ctx = canvas && prepare(canvas, width, height);
    if (!ctx) return;
    ctx.clearRect(0, 0, width, height);
    ctx.lineWidth = 0.8;
    ctx.globalAlpha = 0.85;
    for (let i = 0; i < data.xs.length; i++) {
      const style = styles[data.series[i]];
      ctx.fillStyle = style.color;
      ctx.strokeStyle = 'rgba(0,0,0,0.45)';
      drawMarker(ctx, style.shape, layout.px[i], layout.py[i], RADIUS);
      ctx.fill();
      ctx.stroke();
    }
  }, [data, styles, layout, width, height]);

  useEffect(() => {
    const canvas = overlayRef.current;
    if (canvas) prepare(canvas, width, height);
  }, [width, height]);

  useEffect(() => {
    const ctx = overlayRef.current?.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, width, height);
    if (hover < 0) return;
    const style = styles[data.series[hover]];
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = getComputedStyle(document.documentElement).getPropertyValue('--focus') || '#b34700';
    ctx.fillStyle = style.color;
    drawMarker(ctx, style.shape, layout.px[hover], layout.py[hover], RADIUS * 2.4);
    ctx.fill();
    ctx.stroke();
  }, [hover, layout, styles, data, width, height]);

  function pointAt(event: MouseEvent<HTMLCanvasElement>): number {
    const rect = event.currentTarget.getBoundingClientRect();
    return nearest(layout, event.clientX - rect.left, event.clientY - rect.top);
  }

  function onKeyDown(event: KeyboardEvent<HTMLCanvasElement>) {
    const at = hover < 0 ? -1 : order.indexOf(hover);
    const step: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, PageDown: 25, PageUp: -25 };
    if (event.key in step) {
      event.preventDefault();
      const next = Math.min(order.length - 1, Math.max(0, at + step[event.key]));
      setHover(order[next]);
    } else if ((event.key === 'Enter' || event.key === ' ') && hover >= 0) {
      event.preventDefault();
      onOpen(hover);
    } else if (event.key === 'Escape') setHover(-1);
  }

  const tipLeft = hover >= 0 ? Math.min(layout.px[hover] + 12, width - 300) : 0;
  const tipTop = hover >= 0 ? layout.py[hover] + 12 : 0;

  return (
    <div ref={wrapRef} className="canvas-wrap">
      <canvas ref={baseRef} aria-hidden="true" />
      <canvas
        ref={overlayRef}
        className="overlay"
        tabIndex={0}
        role="application"
        aria-label={`${label}. Arrow keys move between points, Enter opens the query's trace.`}
        aria-describedby="scatter-focus"
        data-testid="cluster-canvas"
        onMouseMove={(e) => {
          const i = pointAt(e);
          if (i !== hover) setHover(i);
        }}
        onMouseLeave={() => setHover(-1)}
        onClick={(e) => {
          const i = pointAt(e);
          if (i >= 0) onOpen(i);
        }}
        onKeyDown={onKeyDown}
      />
      <div id="scatter-focus" className="visually-hidden" aria-live="polite">
        {hover >= 0 ? describe(hover) : ''}
      </div>
      {hover >= 0 && (
        <div className="tooltip" role="tooltip" data-testid="cluster-tooltip" style={{ left: tipLeft, top: tipTop }}>
          {describe(hover)}
        </div>
      )}
    </div>
  );
}
