import { mulberry32 } from './rng.js';

/** Options of `project2d`. */
export interface ProjectionOptions {
  /** Seeds UMAP's layout. Defaults to `0`. */
  seed?: number;
  /** UMAP neighbourhood size. Defaults to `15`. */
  neighbours?: number;
}

/** Most power iterations per component; the leading eigenvalues of real embeddings part far sooner. */
const MAX_ITERATIONS = 5000;

/** The unit eigenvector of the largest eigenvalue of the symmetric d×d matrix `c`, orthogonal to `against`, by power iteration. */
function leadingEigenvector(c: Float64Array, d: number, against: Float64Array | null): Float64Array {
  const v = new Float64Array(d);
  // A fixed start (the diagonal: every direction with variance) keeps the result deterministic.
  for (let i = 0; i < d; i++) v[i] = c[i * d + i] + 1e-12;
  const next = new Float64Array(d);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    if (against) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += v[i] * against[i];
      for (let i = 0; i < d; i++) v[i] -= dot * against[i];
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm === 0) break;
    for (let i = 0; i < d; i++) v[i] /= norm;
    next.fill(0);
    for (let i = 0; i < d; i++) {
      const row = i * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += c[row + j] * v[j];
      next[i] = s;
    }
    let nextNorm = 0;
    for (let i = 0; i < d; i++) nextNorm += next[i] * next[i];
    nextNorm = Math.sqrt(nextNorm);
    if (nextNorm === 0) break;
    let change = 0;
    for (let i = 0; i < d; i++) {
      const u = next[i] / nextNorm;
      change = Math.max(change, Math.abs(u - v[i]));
      v[i] = u;
    }
    if (change < 1e-10) break;
  }
  // One sign for a direction: its largest entry is positive.
  let big = 0;
  for (let i = 1; i < d; i++) if (Math.abs(v[i]) > Math.abs(v[big])) big = i;
  if (v[big] < 0) for (let i = 0; i < d; i++) v[i] = -v[i];
  return v;
}

/**
 * The rows' scores on their first two principal components (centred, not scaled), as
 * [x0, y0, x1, y1, …]: the covariance matrix on typed arrays, then power iteration for each
 * component. On 2,119 × 256 embeddings this takes tens of ms where a general SVD took seconds.
 */
export function pca2d(rows: readonly ArrayLike<number>[]): Float64Array {
  const n = rows.length;
  const out = new Float64Array(n * 2);
  if (n === 0) return out;
  const d = rows[0].length;
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / n;
  const x = new Float64Array(n * d);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = r[j] - mean[j];
  });
  const c = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let a = 0; a < d; a++) {
      const xa = x[row + a];
      if (xa === 0) continue;
      const ca = a * d;
      for (let b = a; b < d; b++) c[ca + b] += xa * x[row + b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) c[a * d + b] = c[b * d + a];
  const first = leadingEigenvector(c, d, null);
  const second = d > 1 ? leadingEigenvector(c, d, first) : new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let px = 0;
    let py = 0;
    for (let j = 0; j < d; j++) {
      px += x[i * d + j] * first[j];
      py += x[i * d + j] * second[j];
    }
    out[2 * i] = px;
    out[2 * i + 1] = py;
  }
  return out;
}

/**
 * Projects embeddings to 2-D for the cluster map, as a flat [x0, y0, x1, y1, …] array.
 * PCA is exact and quick; UMAP keeps local neighbourhoods better but takes seconds on a few
 * thousand queries, so the service computes it once per tune and caches it.
 */
export async function project2d(rows: readonly ArrayLike<number>[], method: 'pca' | 'umap', options: ProjectionOptions = {}): Promise<Float64Array> {
  if (method === 'pca' || rows.length === 0) return pca2d(rows);
  const { UMAP } = await import('umap-js');
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(options.neighbours ?? 15, rows.length - 1), random: mulberry32(options.seed ?? 0) });
  const points = umap.fit(rows.map((r) => Array.from(r)));
  const out = new Float64Array(rows.length * 2);
  points.forEach((p, i) => {
    out[2 * i] = p[0] ?? 0;
    out[2 * i + 1] = p[1] ?? 0;
  });
  return out;
}
