import { describe, expect, it } from 'vitest';
import type { SparseRow } from '../../../core/qe/features.js';
import { LogisticRegression, logit, sigmoid } from '../../../core/qe/logistic.js';
import { mulberry32 } from '../../../core/rng.js';

function dense(x: number[]): SparseRow {
  return { idx: Int32Array.from(x.keys()), val: Float64Array.from(x) };
}

function synthetic(n: number, seed: number, truth: number[], bias: number) {
  const rand = mulberry32(seed);
  const rows: SparseRow[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = truth.map(() => rand() * 2 - 1);
    const z = bias + x.reduce((s, v, j) => s + v * truth[j], 0);
    rows.push(dense(x));
    labels.push(rand() < sigmoid(z) ? 1 : 0);
  }
  return { rows, labels };
}

describe('LogisticRegression', () => {
  it('recovers the weights of a logistic model with a weak penalty', () => {
    const truth = [2, -1, 0.5];
    const { rows, labels } = synthetic(6000, 1, truth, 0.3);
    const state = new LogisticRegression({ l2: 1e-6 }).fit(rows, labels, 3);
    truth.forEach((w, j) => expect(state.weights[j]).toBeCloseTo(w, 0));
    expect(state.intercept).toBeGreaterThan(0.1);
    expect(state.intercept).toBeLessThan(0.5);
  });

  it('shrinks weights as the penalty grows', () => {
    const { rows, labels } = synthetic(800, 2, [3, -3], 0);
    const weak = new LogisticRegression({ l2: 1e-4 }).fit(rows, labels, 2);
    const strong = new LogisticRegression({ l2: 1 }).fit(rows, labels, 2);
    expect(Math.hypot(...strong.weights)).toBeLessThan(Math.hypot(...weak.weights) / 2);
  });

  it('treats a sample weight of 2 like the row twice', () => {
    const { rows, labels } = synthetic(200, 3, [1, -2], 0.5);
    const weights = rows.map((_, i) => (i % 3 === 0 ? 2 : 1));
    const doubledRows = rows.flatMap((r, i) => (i % 3 === 0 ? [r, r] : [r]));
    const doubledLabels = labels.flatMap((y, i) => (i % 3 === 0 ? [y, y] : [y]));
    const a = new LogisticRegression({ l2: 1e-3, tol: 1e-9, maxIter: 500 }).fit(rows, labels, 2, weights);
    const b = new LogisticRegression({ l2: 1e-3, tol: 1e-9, maxIter: 500 }).fit(doubledRows, doubledLabels, 2);
    expect(a.weights[0]).toBeCloseTo(b.weights[0], 4);
    expect(a.weights[1]).toBeCloseTo(b.weights[1], 4);
    expect(a.intercept).toBeCloseTo(b.intercept, 4);
  });

  it('gives calibrated-looking probabilities on its own training law', () => {
    const { rows, labels } = synthetic(3000, 4, [1.5], 0);
    const state = new LogisticRegression().fit(rows, labels, 1);
    const p = logit(state, dense([1]));
    expect(sigmoid(p)).toBeGreaterThan(0.75);
    expect(sigmoid(p)).toBeLessThan(0.87);
  });

  it('names bad inputs', () => {
    const lr = new LogisticRegression();
    expect(() => lr.fit([], [], 1)).toThrow(/no rows/);
    expect(() => lr.fit([dense([1])], [1, 0], 1)).toThrow(/2 labels for 1 rows/);
    expect(() => lr.fit([dense([1])], [1], 1, [-1])).toThrow(/sample weight -1 at row 0/);
  });
});
