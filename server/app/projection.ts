import { PCA } from 'ml-pca';
import { UMAP } from 'umap-js';
import { mulberry32 } from '../../core/rng.js';

/** Options of `project2d`. */
export interface ProjectionOptions {
  /** Seeds UMAP's layout. Defaults to `0`. */
  seed?: number;
  /** UMAP neighbourhood size. Defaults to `15`. */
  neighbours?: number;
}

/**
 * Projects embeddings to 2-D for the cluster map, as a flat [x0, y0, x1, y1, …] array.
 * PCA is exact and quick; UMAP keeps local neighbourhoods better but takes seconds on a few
 * thousand queries, so the service computes it once per tune and caches it.
 */
export function project2d(rows: readonly ArrayLike<number>[], method: 'pca' | 'umap', options: ProjectionOptions = {}): Float64Array {
  const data = rows.map((r) => Array.from(r));
  const out = new Float64Array(rows.length * 2);
  if (rows.length === 0) return out;
  let points: number[][];
  if (method === 'pca') {
    const pca = new PCA(data, { center: true, scale: false });
    points = pca.predict(data, { nComponents: Math.min(2, data[0].length) }).to2DArray();
  } else {
    const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(options.neighbours ?? 15, rows.length - 1), random: mulberry32(options.seed ?? 0) });
    points = umap.fit(data);
  }
  points.forEach((p, i) => {
    out[2 * i] = p[0] ?? 0;
    out[2 * i + 1] = p[1] ?? 0;
  });
  return out;
}
