/**
 * The Pareto-ordered pool: models sorted by cost, keeping each only if it is more accurate than
 * every cheaper one. Escalating along it always buys accuracy; any other model is dominated.
 * Models with no figure (NaN) are left out.
 */
export function paretoLadder(models: readonly { accuracy: number; cost: number }[]): number[] {
  const order = models
    .map((m, i) => ({ ...m, i }))
    .filter((m) => Number.isFinite(m.accuracy) && Number.isFinite(m.cost))
    .sort((a, b) => a.cost - b.cost || b.accuracy - a.accuracy);
  const out: number[] = [];
  let best = -Infinity;
  for (const m of order) {
    if (m.accuracy > best) {
      out.push(m.i);
      best = m.accuracy;
    }
  }
  return out;
}
