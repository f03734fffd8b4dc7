/**
 * Series styles that survive greyscale printing and colour-blindness: each series has a
 * marker shape (or dash pattern) and a lightness step, and the hue only adds to that.
 */
export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross' | 'triangleDown' | 'plus' | 'star';

export interface SeriesStyle {
  color: string;
  shape: MarkerShape;
  /** SVG stroke-dasharray for line series; '' for solid. */
  dash: string;
}

const SHAPES: MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'cross', 'triangleDown', 'plus', 'star'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2', '10 4'];
// Okabe–Ito hues, ordered so neighbours differ strongly in lightness as well.
const HUES = ['#0072B2', '#E69F00', '#000000', '#56B4E9', '#D55E00', '#009E73', '#CC79A7', '#8c6d00', '#5a5a5a', '#F0E442'];
const HUES_DARK = ['#5fa8e8', '#E69F00', '#e8e8e8', '#9dd3f5', '#ff8a4c', '#2fd1a0', '#e7a6ca', '#d1b04c', '#a0a0a0', '#F0E442'];

export function seriesStyle(i: number, dark: boolean): SeriesStyle {
  const hues = dark ? HUES_DARK : HUES;
  return { color: hues[i % hues.length], shape: SHAPES[i % SHAPES.length], dash: DASHES[i % DASHES.length] };
}

/** Draws one marker centred on (x, y) with half-size r; the caller sets fill and stroke styles. */
export function drawMarker(ctx: CanvasRenderingContext2D, shape: MarkerShape, x: number, y: number, r: number): void {
  ctx.beginPath();
  switch (shape) {
    case 'circle':
      ctx.arc(x, y, r, 0, Math.PI * 2);
      break;
    case 'square':
      ctx.rect(x - r, y - r, 2 * r, 2 * r);
      break;
    case 'triangle':
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.lineTo(x - r, y + r);
      ctx.closePath();
      break;
    case 'triangleDown':
      ctx.moveTo(x, y + r);
      ctx.lineTo(x + r, y - r);
      ctx.lineTo(x - r, y - r);
      ctx.closePath();
      break;
    case 'diamond':
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y);
      ctx.lineTo(x, y + r);
      ctx.lineTo(x - r, y);
      ctx.closePath();
      break;
    case 'cross':
    case 'plus': {
      const w = r * 0.45;
      if (shape === 'plus') {
        ctx.rect(x - w, y - r, 2 * w, 2 * r);
        ctx.rect(x - r, y - w, 2 * r, 2 * w);
      } else {
        ctx.moveTo(x - r, y - r + w);
        ctx.lineTo(x - r + w, y - r);
        ctx.lineTo(x + r, y + r - w);
        ctx.lineTo(x + r - w, y + r);
        ctx.closePath();
        ctx.moveTo(x + r, y - r + w);
        ctx.lineTo(x + r - w, y - r);
        ctx.lineTo(x - r, y + r - w);
        ctx.lineTo(x - r + w, y + r);
        ctx.closePath();
      }
      break;
    }
    case 'star':
      for (let k = 0; k < 10; k++) {
        const a = -Math.PI / 2 + (k * Math.PI) / 5;
        const rr = k % 2 === 0 ? r * 1.15 : r * 0.5;
        if (k === 0) ctx.moveTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
        else ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
      }
      ctx.closePath();
      break;
  }
}

/** The SVG path of a marker centred on (0, 0), for recharts shapes and legends. */
export function markerPath(shape: MarkerShape, r: number): string {
  const f = (n: number) => n.toFixed(2);
  switch (shape) {
    case 'circle':
      return `M ${f(-r)} 0 a ${f(r)} ${f(r)} 0 1 0 ${f(2 * r)} 0 a ${f(r)} ${f(r)} 0 1 0 ${f(-2 * r)} 0`;
    case 'square':
      return `M ${f(-r)} ${f(-r)} H ${f(r)} V ${f(r)} H ${f(-r)} Z`;
    case 'triangle':
      return `M 0 ${f(-r)} L ${f(r)} ${f(r)} L ${f(-r)} ${f(r)} Z`;
    case 'triangleDown':
      return `M 0 ${f(r)} L ${f(r)} ${f(-r)} L ${f(-r)} ${f(-r)} Z`;
    case 'diamond':
      return `M 0 ${f(-r)} L ${f(r)} 0 L 0 ${f(r)} L ${f(-r)} 0 Z`;
    case 'plus': {
      const w = r * 0.45;
      return `M ${f(-w)} ${f(-r)} H ${f(w)} V ${f(-w)} H ${f(r)} V ${f(w)} H ${f(w)} V ${f(r)} H ${f(-w)} V ${f(w)} H ${f(-r)} V ${f(-w)} H ${f(-w)} Z`;
    }
    case 'cross': {
      const w = r * 0.45;
      return `M ${f(-r)} ${f(-r + w)} L ${f(-r + w)} ${f(-r)} L 0 ${f(-w)} L ${f(r - w)} ${f(-r)} L ${f(r)} ${f(-r + w)} L ${f(w)} 0 L ${f(r)} ${f(r - w)} L ${f(r - w)} ${f(r)} L 0 ${f(w)} L ${f(-r + w)} ${f(r)} L ${f(-r)} ${f(r - w)} L ${f(-w)} 0 Z`;
    }
    case 'star': {
      const pts: string[] = [];
      for (let k = 0; k < 10; k++) {
        const a = -Math.PI / 2 + (k * Math.PI) / 5;
        const rr = k % 2 === 0 ? r * 1.15 : r * 0.5;
        pts.push(`${f(rr * Math.cos(a))} ${f(rr * Math.sin(a))}`);
      }
      return `M ${pts.join(' L ')} Z`;
    }
  }
}
