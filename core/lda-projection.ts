/*
 * A supervised 2-D projection for the cluster map: Fisher's linear discriminant analysis on the
 * cluster labels. PCA keeps the directions of largest variance of the embeddings, which need not
 * be the ones that tell the clusters apart (on the public log it lays three of four clusters on
 * top of each other); LDA keeps the directions along which the clusters' means differ most
 * relative to the spread inside each cluster. The linear algebra (a Cholesky solve and symmetric
 * eigenproblems) is ml-matrix's; the discriminant's set-up is written here because no library offers
 * LDA on a ridged within-cluster covariance.
 */

import { CholeskyDecomposition, EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** One axis of a projection and what it means. */
export interface ProjectionAxis {
  name: string;
  /** What a step along the axis means, in words. */
  meaning: string;
}

export interface LdaProjection {
  /** Row scores as [x0, y0, x1, y1, …]. */
  xy: Float64Array;
  axes: [ProjectionAxis, ProjectionAxis];
}

const RIDGE = 1e-3;
/** Eigenvalues (descending) and unit eigenvectors (columns of `vectors`, n×n row-major) of a symmetric n×n matrix. */
export function symmetricEigen(matrix: Float64Array, n: number): { values: number[]; vectors: Float64Array } {
  const m = new Matrix(n, n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) m.set(r, c, matrix[r * n + c]);
  const eig = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const v = eig.eigenvectorMatrix;
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => values[y] - values[x]);
  const vectors = new Float64Array(n * n);
  order.forEach((col, j) => {
    for (let r = 0; r < n; r++) vectors[r * n + j] = v.get(r, col);
  });
  return { values: order.map((i) => values[i]), vectors };
}

/** A direction's sign fixed by its largest entry (positive), so the map does not flip between runs. */
function fixSign(v: Float64Array): Float64Array {
  let big = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]) > Math.abs(v[big])) big = i;
  if (v[big] < 0) for (let i = 0; i < v.length; i++) v[i] = -v[i];
  return v;
}

/**
 * Projects rows onto their first two linear discriminants of the cluster `labels` (in [0, k)).
 * Axes are scaled to unit within-cluster standard deviation, so one unit is one typical spread of a
 * cluster. With two clusters there is one discriminant; the second axis is then the direction of
 * largest within-cluster spread; with one cluster, both axes are (the principal components).
 */
export function ldaProject(rows: readonly ArrayLike<number>[], labels: ArrayLike<number>, k: number): LdaProjection {
  const n = rows.length;
  const xy = new Float64Array(2 * n);
  const d = n ? rows[0].length : 0;
  if (n === 0 || d === 0) return { xy, axes: [{ name: 'LD 1', meaning: 'no queries' }, { name: 'LD 2', meaning: 'no queries' }] };
  const mean = new Float64Array(d);
  const means = new Float64Array(k * d);
  const sizes = new Float64Array(k);
  rows.forEach((r, i) => {
    const c = labels[i];
    sizes[c]++;
    for (let j = 0; j < d; j++) {
      mean[j] += r[j] / n;
      means[c * d + j] += r[j];
    }
  });
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j] /= sizes[c] || 1;
  // Within-cluster covariance, ridged so it is invertible (embeddings are often rank-deficient).
  const sw = new Float64Array(d * d);
  const dev = new Float64Array(d);
  rows.forEach((r, i) => {
    const c = labels[i];
    for (let j = 0; j < d; j++) dev[j] = r[j] - means[c * d + j];
    for (let a = 0; a < d; a++) {
      const x = dev[a] / n;
      if (x === 0) continue;
      for (let b = a; b < d; b++) sw[a * d + b] += x * dev[b];
    }
  });
  let trace = 0;
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < a; b++) sw[a * d + b] = sw[b * d + a];
    trace += sw[a * d + a];
  }
  const ridge = (RIDGE * trace) / d + 1e-12;
  for (let a = 0; a < d; a++) sw[a * d + a] += ridge;

  const present = Array.from({ length: k }, (_, c) => c).filter((c) => sizes[c] > 0);
  const axes: Float64Array[] = [];
  const ratios: number[] = [];
  let separation = 0;
  if (present.length >= 2) {
    // Between-cluster scatter is B·Bᵀ with B's columns √(n_c/n)(μ_c − μ): the eigenproblem of Sw⁻¹·B·Bᵀ reduces to Bᵀ·Sw⁻¹·B (k×k).
    const swm = new Matrix(d, d);
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) swm.set(r, c, sw[r * d + c]);
    const chol = new CholeskyDecomposition(swm);
    const b = present.map((c) => Float64Array.from({ length: d }, (_, j) => Math.sqrt(sizes[c] / n) * (means[c * d + j] - mean[j])));
    const x = b.map((col) => Float64Array.from(chol.solve(Matrix.columnVector(Array.from(col))).getColumn(0)));
    const m = present.length;
    const g = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) for (let t = 0; t < d; t++) g[i * m + j] += b[i][t] * x[j][t];
    const eig = symmetricEigen(g, m);
    separation = eig.values.reduce((a, v) => a + Math.max(0, v), 0);
    for (let e = 0; e < Math.min(2, m - 1); e++) {
      if (!(eig.values[e] > 1e-12)) break;
      const v = new Float64Array(d);
      for (let i = 0; i < m; i++) for (let t = 0; t < d; t++) v[t] += eig.vectors[i * m + e] * x[i][t];
      // vᵀ·Sw·v = λ: dividing by √λ gives unit within-cluster variance along the axis.
      const scale = 1 / Math.sqrt(eig.values[e]);
      for (let t = 0; t < d; t++) v[t] *= scale;
      axes.push(fixSign(v));
      ratios.push(eig.values[e]);
    }
  }
  if (axes.length < 2) {
    // The rest from the within-cluster covariance's principal directions, orthogonal to the axes so far.
    const eig = symmetricEigen(sw, d);
    for (let e = 0; e < d && axes.length < 2; e++) {
      const v = Float64Array.from({ length: d }, (_, t) => eig.vectors[t * d + e]);
      for (const a of axes) {
        const na = a.reduce((s, x) => s + x * x, 0);
        const dot = a.reduce((s, x, t) => s + x * v[t], 0);
        for (let t = 0; t < d; t++) v[t] -= (dot / na) * a[t];
      }
      const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      if (norm < 1e-6) continue;
      const sd = Math.sqrt(Math.max(eig.values[e], 1e-300));
      for (let t = 0; t < d; t++) v[t] /= norm * sd;
      axes.push(fixSign(v));
    }
  }
  rows.forEach((r, i) => {
    for (let a = 0; a < 2; a++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (r[t] - mean[t]) * axes[a][t];
      xy[2 * i + a] = s;
    }
  });
  const named = (i: number): ProjectionAxis =>
    i < ratios.length
      ? {
          name: `LD ${i + 1}`,
          meaning: `linear discriminant ${i + 1} of the cluster labels: between-cluster ÷ within-cluster variance ${ratios[i].toPrecision(3)}${separation > 0 ? ` (${Math.round((100 * ratios[i]) / separation)}% of all the clusters' separation)` : ''}; unit: one within-cluster standard deviation`,
        }
      : { name: `PC ${i + 1 - ratios.length} (within)`, meaning: 'largest within-cluster spread left after the discriminants; unit: one within-cluster standard deviation' };
  return { xy, axes: [named(0), named(1)] };
}
