// The cluster map's PCA: the covariance matrix and power iteration, checked against ml-pca's SVD.
import { PCA } from 'ml-pca';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../core/rng.js';
import { pca2d } from '../../../core/projection.js';

describe('PCA for the cluster map', () => {
  it('matches ml-pca up to each component\'s sign', () => {
    const rand = mulberry32(3);
    const rows = Array.from({ length: 400 }, () => {
      const [a, b, c] = [rand() * 3, rand() * 2, rand()];
      return Float32Array.from({ length: 32 }, (_, j) => a * Math.sin(j) + b * Math.cos(0.3 * j) + c * ((j % 5) / 5) + 0.05 * rand());
    });
    const ours = pca2d(rows);
    const data = rows.map((r) => Array.from(r));
    const ref = new PCA(data, { center: true, scale: false }).predict(data, { nComponents: 2 }).to2DArray();
    for (const k of [0, 1]) {
      const sign = Math.sign(ref[0][k]) * Math.sign(ours[k]);
      const scale = Math.max(...ref.map((p) => Math.abs(p[k])));
      for (let i = 0; i < rows.length; i++) expect(Math.abs(ours[2 * i + k] - sign * ref[i][k])).toBeLessThan(1e-6 * scale);
    }
  });
});
