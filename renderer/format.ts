/** Number formats shared by every view, so one figure reads the same everywhere. */

export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}

/** A cost in the workspace's unit: dollars per query are tiny, so they get significant digits, not decimals. */
export function cost(x: number | null | undefined, unit: string): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (unit === 'USD') return `$${x < 0.01 ? x.toPrecision(3) : x.toFixed(4)}`;
  return `${x < 10 ? x.toPrecision(3) : Math.round(x).toLocaleString('en-US')} ${unit}`;
}

export function ms(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${x < 10 ? x.toFixed(2) : Math.round(x)} ms`;
}

export function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

export function lambdaRange(from: number, to: number | null): string {
  return `λ ∈ [${from.toPrecision(3)}, ${to === null ? '∞' : to.toPrecision(3)})`;
}
