import { describe, expect, it } from 'vitest';
import { ldaProject, symmetricEigen } from '../../../core/lda-projection.js';
import { mulberry32 } from '../../../core/rng.js';

/** Four clusters whose means differ along two quiet directions, under a loud direction that carries no cluster: PCA's first axis would be the loud one. */
function blobs(n: number, seed: number) {
  const r = mulberry32(seed);
  const d = 12;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
  const rows = Array.from({ length: n }, (_, i) => {
    const x = Float64Array.from({ length: d }, () => r() - 0.5);
    x[0] *= 40; // loud, uninformative
    x[3] += labels[i] & 1 ? 1.5 : 0;
    x[7] += labels[i] & 2 ? 1.5 : 0;
    return x;
  });
  return { rows, labels };
}

/** Between-cluster variance of the projected means over the mean within-cluster variance, on one axis. */
function separation(xy: Float64Array, labels: Int32Array, axis: 0 | 1): number {
  const groups = [0, 1, 2, 3].map((c) => Array.from(labels.keys()).filter((i) => labels[i] === c).map((i) => xy[2 * i + axis]));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const means = groups.map(mean);
  const grand = mean(means);
  const between = mean(means.map((m) => (m - grand) ** 2));
  const within = mean(groups.map((g, c) => mean(g.map((x) => (x - means[c]) ** 2))));
  return between / within;
}

describe('LDA projection of the cluster map', () => {
  it('lays clusters apart along directions PCA would miss, with unit within-cluster spread', () => {
    const { rows, labels } = blobs(800, 3);
    const p = ldaProject(rows, labels, 4);
    expect(p.axes[0].name).toBe('LD 1');
    expect(p.axes[1].name).toBe('LD 2');
    // Each axis separates the four clusters by several within-cluster spreads.
    expect(separation(p.xy, labels, 0)).toBeGreaterThan(2);
    expect(separation(p.xy, labels, 1)).toBeGreaterThan(2);
    // Unit within-cluster variance along LD 1 (the ridge shrinks it a little).
    const within = [0, 1, 2, 3].map((c) => {
      const v = Array.from(labels.keys()).filter((i) => labels[i] === c).map((i) => p.xy[2 * i]);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return v.reduce((a, x) => a + (x - m) ** 2, 0) / v.length;
    });
    expect(within.reduce((a, b) => a + b, 0) / 4).toBeGreaterThan(0.8);
    expect(within.reduce((a, b) => a + b, 0) / 4).toBeLessThan(1.05);
  });

  it('with two clusters, keeps one discriminant and says what the second axis is', () => {
    const { rows, labels } = blobs(400, 5);
    const two = Int32Array.from(labels, (c) => c & 1);
    const p = ldaProject(rows, two, 2);
    expect(p.axes[0].name).toBe('LD 1');
    expect(p.axes[1].name).toMatch(/within/);
    expect(p.axes[1].meaning).toMatch(/within-cluster/);
  });

  it('finds the eigenpairs of a symmetric matrix', () => {
    const a = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]);
    const { values, vectors } = symmetricEigen(a, 3);
    for (let e = 0; e < 3; e++) {
      for (let i = 0; i < 3; i++) {
        let av = 0;
        for (let j = 0; j < 3; j++) av += a[i * 3 + j] * vectors[j * 3 + e];
        expect(av).toBeCloseTo(values[e] * vectors[i * 3 + e], 9);
      }
    }
    expect(values[0]).toBeGreaterThan(values[1]);
    expect(values[1]).toBeGreaterThan(values[2]);
  });
});
