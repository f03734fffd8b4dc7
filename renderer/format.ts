/** Number formats shared by every view, so one figure reads the same everywhere. */

/**
 * A whole number with thousands separators ("2,119"), without Intl: the page's first
 * toLocaleString loads the ICU data (tens of ms at start-up, on the first screen).
 */
export function count(x: number): string {
  const whole = Math.round(x);
  const digits = String(Math.abs(whole)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return whole < 0 ? `-${digits}` : digits;
}

export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}

/** A cost in the workspace's unit: dollars per query are tiny, so they get significant digits, not decimals. */
export function cost(x: number | null | undefined, unit: string): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (unit === 'USD') return `$${x < 0.01 ? x.toPrecision(3) : x.toFixed(4)}`;
  return `${x < 10 ? x.toPrecision(3) : count(x)} ${unit}`;
}

export function ms(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${x < 10 ? x.toFixed(2) : Math.round(x)} ms`;
}

export function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

export function lambdaRange(from: number, to: number | null): string {
  // The reference region (the strongest model everywhere) has the empty interval [0, 0): no λ picks it.
  if (to === 0) return 'the strongest model everywhere';
  return `λ ∈ [${from.toPrecision(3)}, ${to === null ? '∞' : to.toPrecision(3)})`;
}
