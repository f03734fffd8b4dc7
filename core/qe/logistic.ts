import { InvalidInputError } from '../errors.js';
import type { SparseRow } from './features.js';

/*
 * L2-regularised logistic regression with sample weights on sparse rows, fitted by L-BFGS.
 * Hand-written: the ml-* libraries have no weighted, sparse, regularised logistic regression,
 * and the QE needs all three (hashed text features are sparse; probe answers of a new model
 * are weighted; the penalty keeps thousands of hashed weights from overfitting).
 */

export interface LogisticRegressionOptions {
  /** L2 penalty on the weights (not the intercept), per unit of total sample weight. Defaults to `1e-3`. */
  l2?: number;
  /** L-BFGS iterations at most. Defaults to `100`. */
  maxIter?: number;
  /** Stop when the gradient's max-norm falls below this. Defaults to `1e-5`. */
  tol?: number;
  /** L-BFGS history length. Defaults to `10`. */
  memory?: number;
}

/** Fitted state: weights by slot and the intercept. */
export interface LogisticState {
  weights: Float64Array;
  intercept: number;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** The linear score (log-odds) of one row, or of its first `length` entries. */
export function logit(state: LogisticState, row: SparseRow, length = row.idx.length): number {
  let z = state.intercept;
  for (let k = 0; k < length; k++) z += state.weights[row.idx[k]] * row.val[k];
  return z;
}

export class LogisticRegression {
  readonly l2: number;
  readonly maxIter: number;
  readonly tol: number;
  readonly memory: number;

  constructor(options: LogisticRegressionOptions = {}) {
    this.l2 = options.l2 ?? 1e-3;
    this.maxIter = options.maxIter ?? 100;
    this.tol = options.tol ?? 1e-5;
    this.memory = options.memory ?? 10;
  }

  /**
   * Fits on rows of dimension `dim` with 0/1 labels and optional non-negative sample weights.
   * `init` warm-starts from an earlier fit (a path over penalties converges in far fewer steps).
   */
  fit(rows: readonly SparseRow[], labels: ArrayLike<number>, dim: number, sampleWeights?: ArrayLike<number>, init?: LogisticState): LogisticState {
    const n = rows.length;
    if (n === 0) throw new InvalidInputError('no rows to fit the logistic regression on');
    if (labels.length !== n) throw new InvalidInputError(`${labels.length} labels for ${n} rows`);
    if (sampleWeights && sampleWeights.length !== n) throw new InvalidInputError(`${sampleWeights.length} sample weights for ${n} rows`);
    let totalW = 0;
    for (let i = 0; i < n; i++) {
      const wi = sampleWeights ? sampleWeights[i] : 1;
      if (!(wi >= 0)) throw new InvalidInputError(`sample weight ${wi} at row ${i} is not a non-negative number`);
      totalW += wi;
    }
    if (totalW === 0) throw new InvalidInputError('all sample weights are zero');
    const P = dim + 1;
    const l2 = this.l2;
    const evaluate = (x: Float64Array, grad: Float64Array): number => {
      grad.fill(0);
      let loss = 0;
      for (let i = 0; i < n; i++) {
        const wi = (sampleWeights ? sampleWeights[i] : 1) / totalW;
        if (wi === 0) continue;
        const row = rows[i];
        let z = x[dim];
        for (let k = 0; k < row.idx.length; k++) z += x[row.idx[k]] * row.val[k];
        const y = labels[i];
        // log(1 + e^{-z}) for y=1 and log(1 + e^{z}) for y=0, computed without overflow.
        const m = y === 1 ? -z : z;
        loss += wi * (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m)));
        const g = wi * (sigmoid(z) - y);
        for (let k = 0; k < row.idx.length; k++) grad[row.idx[k]] += g * row.val[k];
        grad[dim] += g;
      }
      let reg = 0;
      for (let j = 0; j < dim; j++) {
        reg += x[j] * x[j];
        grad[j] += l2 * x[j];
      }
      return loss + 0.5 * l2 * reg;
    };
    const x = new Float64Array(P);
    if (init) {
      if (init.weights.length !== dim) throw new InvalidInputError(`warm start has ${init.weights.length} weights, expected ${dim}`);
      x.set(init.weights);
      x[dim] = init.intercept;
    }
    lbfgs(x, evaluate, this.maxIter, this.tol, this.memory);
    return { weights: x.slice(0, dim), intercept: x[dim] };
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Minimises a smooth convex function in place (two-loop recursion, Armijo backtracking). */
function lbfgs(x: Float64Array, f: (x: Float64Array, g: Float64Array) => number, maxIter: number, tol: number, memory: number): void {
  const P = x.length;
  let g = new Float64Array(P);
  let fx = f(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(P);
  const xNew = new Float64Array(P);
  let gNew = new Float64Array(P);
  const alpha = new Array<number>(memory);
  for (let it = 0; it < maxIter; it++) {
    let gMax = 0;
    for (let i = 0; i < P; i++) gMax = Math.max(gMax, Math.abs(g[i]));
    if (gMax < tol) return;
    for (let i = 0; i < P; i++) d[i] = -g[i];
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], d);
      for (let i = 0; i < P; i++) d[i] -= alpha[k] * Y[k][i];
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]);
      for (let i = 0; i < P; i++) d[i] *= gamma;
    }
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * dot(Y[k], d);
      for (let i = 0; i < P; i++) d[i] += S[k][i] * (alpha[k] - beta);
    }
    let slope = dot(g, d);
    if (slope >= 0) {
      // Not a descent direction (lost curvature): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < P; i++) d[i] = -g[i];
      slope = dot(g, d);
    }
    let step = it === 0 && S.length === 0 ? 1 / Math.max(1, Math.sqrt(-slope)) : 1;
    let fNew = 0;
    for (let tries = 0; ; tries++) {
      for (let i = 0; i < P; i++) xNew[i] = x[i] + step * d[i];
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
      if (tries >= 30) return;
      step *= 0.5;
    }
    const s = new Float64Array(P);
    const y = new Float64Array(P);
    for (let i = 0; i < P; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (S.length === memory) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    x.set(xNew);
    const tmp = g;
    g = gNew;
    gNew = tmp;
    const converged = Math.abs(fx - fNew) <= 1e-10 * Math.max(1, Math.abs(fx));
    fx = fNew;
    if (converged) return;
  }
}
