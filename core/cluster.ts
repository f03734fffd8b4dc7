import { kmeans } from 'ml-kmeans';
import { InvalidInputError } from './errors.js';
import { mulberry32, permutation } from './rng.js';

export interface KMeansOptions {
  /** Number of clusters. Defaults to `2`. */
  k?: number;
  /** k-means++ restarts; the run with the lowest inertia wins. Defaults to `4`. */
  restarts?: number;
  /** Seed of the first restart (restart r uses seed + r). Defaults to `0`. */
  seed?: number;
  /** Lloyd iterations per restart. Defaults to `100`. */
  maxIterations?: number;
}

/** Fitted clustering: the state that travels into the tuned config. */
export interface FittedClusters {
  /** Row-major k × dimensions. */
  centroids: Float64Array;
  dimensions: number;
  k: number;
  /** Cluster of each training row. */
  labels: Int32Array;
  inertia: number;
}

const KMEANS_DEFAULTS = { k: 2, restarts: 4, seed: 0, maxIterations: 100 } as const;

/** k-means with k-means++ initialisation and seeded restarts (ml-kmeans); same seed, same result. */
export class KMeansClusterer {
  readonly options: Required<KMeansOptions>;

  constructor(options: KMeansOptions = {}) {
    this.options = { ...KMEANS_DEFAULTS, ...options };
    if (!Number.isInteger(this.options.k) || this.options.k < 1) throw new InvalidInputError(`k must be an integer ≥ 1, got ${this.options.k}`, 'k');
  }

  fit(rows: readonly ArrayLike<number>[]): FittedClusters {
    const { k, restarts, seed, maxIterations } = this.options;
    if (rows.length < k) throw new InvalidInputError(`cannot make ${k} clusters of ${rows.length} queries`, 'k');
    const dims = rows[0].length;
    const data = rows.map((r) => Array.from(r));
    let best: FittedClusters | undefined;
    for (let r = 0; r < restarts; r++) {
      const centroids = new Float64Array(k * dims);
      let labels: Int32Array;
      if (k === 1) {
        for (const row of data) for (let j = 0; j < dims; j++) centroids[j] += row[j] / data.length;
        labels = new Int32Array(data.length);
      } else {
        const result = kmeans(data, k, { initialization: kmeansPlusPlus(data, k, seed + r), maxIterations });
        result.centroids.forEach((c, i) => centroids.set(c, i * dims));
        labels = Int32Array.from(result.clusters);
      }
      const fitted: FittedClusters = { centroids, dimensions: dims, k, labels, inertia: 0 };
      fitted.inertia = rows.reduce((s, row, i) => s + squaredDistance(centroids, labels[i] * dims, row), 0);
      if (!best || fitted.inertia < best.inertia) best = fitted;
      if (k === 1) break;
    }
    return best!;
  }
}

/**
 * Greedy k-means++ seeding (scikit-learn's: 2 + ln k candidates per step, keep the one that
 * lowers the potential most). Written here rather than using ml-kmeans' own 'kmeans++' because
 * that one copies a matrix row for every distance and took ~5× longer than the Lloyd iterations
 * on 1,271 × 256 queries; the Lloyd iterations stay ml-kmeans'.
 */
export function kmeansPlusPlus(data: readonly number[][], k: number, seed: number): number[][] {
  const rand = mulberry32(seed);
  const n = data.length;
  const trials = 2 + Math.floor(Math.log(k));
  const closest = new Float64Array(n);
  const first = Math.floor(rand() * n);
  const centers = [data[first]];
  for (let i = 0; i < n; i++) closest[i] = squaredDistance(data[first], 0, data[i]);
  const candidate = new Float64Array(n);
  const bestDist = new Float64Array(n);
  while (centers.length < k) {
    const total = closest.reduce((a, b) => a + b, 0);
    let bestPot = Infinity;
    let bestIndex = -1;
    for (let t = 0; t < trials; t++) {
      let target = rand() * total;
      let idx = 0;
      while (idx < n - 1 && target >= closest[idx]) target -= closest[idx++];
      let pot = 0;
      for (let i = 0; i < n; i++) {
        candidate[i] = Math.min(closest[i], squaredDistance(data[idx], 0, data[i]));
        pot += candidate[i];
      }
      if (pot < bestPot) {
        bestPot = pot;
        bestIndex = idx;
        bestDist.set(candidate);
      }
    }
    centers.push(data[bestIndex]);
    closest.set(bestDist);
  }
  return centers.map((c) => [...c]);
}

function squaredDistance(centroids: ArrayLike<number>, offset: number, x: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) {
    const d = centroids[offset + j] - x[j];
    s += d * d;
  }
  return s;
}

/** Index of the centroid nearest to x (squared Euclidean; ties: the lower index). */
export function nearestCentroid(centroids: ArrayLike<number>, dimensions: number, x: ArrayLike<number>): number {
  const k = centroids.length / dimensions;
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < k; c++) {
    const d = squaredDistance(centroids, c * dimensions, x);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

/** Nearest-centroid labels for many rows. */
export function assignClusters(fitted: Pick<FittedClusters, 'centroids' | 'dimensions'>, rows: readonly ArrayLike<number>[]): Int32Array {
  return Int32Array.from(rows, (x) => nearestCentroid(fitted.centroids, fitted.dimensions, x));
}

/**
 * Pairwise Euclidean distances of a seeded sample of rows, computed once and reused for the
 * silhouette of every k (silhouette is O(n²), so it runs on a sample of at most `sampleSize`).
 */
export class SilhouetteSample {
  readonly indices: Int32Array;
  private readonly dist: Float64Array;

  constructor(rows: readonly ArrayLike<number>[], sampleSize = 600, seed = 0) {
    const perm = permutation(rows.length, mulberry32(seed ^ 0x51c0));
    this.indices = perm.slice(0, Math.min(sampleSize, rows.length)).sort();
    const n = this.indices.length;
    this.dist = new Float64Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const d = Math.sqrt(squaredDistance(rows[this.indices[a]], 0, rows[this.indices[b]]));
        this.dist[a * n + b] = d;
        this.dist[b * n + a] = d;
      }
    }
  }

  /** Mean silhouette of the sample under `labels` (labels of all rows); 0 when k < 2. */
  score(labels: ArrayLike<number>, k: number): number {
    if (k < 2) return 0;
    const n = this.indices.length;
    const lab = Int32Array.from(this.indices, (i) => labels[i]);
    const sums = new Float64Array(k);
    const counts = new Int32Array(k);
    for (let a = 0; a < n; a++) counts[lab[a]]++;
    let total = 0;
    for (let a = 0; a < n; a++) {
      sums.fill(0);
      for (let b = 0; b < n; b++) if (b !== a) sums[lab[b]] += this.dist[a * n + b];
      const own = lab[a];
      if (counts[own] <= 1) continue;
      const inner = sums[own] / (counts[own] - 1);
      let outer = Infinity;
      for (let c = 0; c < k; c++) if (c !== own && counts[c] > 0) outer = Math.min(outer, sums[c] / counts[c]);
      if (!Number.isFinite(outer)) continue;
      total += (outer - inner) / Math.max(inner, outer);
    }
    return total / n;
  }
}
