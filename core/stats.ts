/** Per (cluster, model) statistics on train: the routing table. */
export interface ModelClusterStats {
  /** Answered queries (unanswered cells are excluded, never counted wrong). */
  n: number;
  errors: number;
  /** Raw error rate; NaN when n is 0. */
  errorRate: number;
  /** Posterior mean under a Beta prior centred on the model's global rate. */
  shrunkErrorRate: number;
  /** 90% posterior interval (normal approximation of the Beta posterior, clipped to [0, 1]). */
  interval: [number, number];
  /** Mean cost per answered query; the model's global mean where the cluster has none. */
  meanCost: number;
}

export interface GlobalModelStats {
  n: number;
  errors: number;
  errorRate: number;
  meanCost: number;
}

export interface ClusterStatsOptions {
  /**
   * Strength of the Beta prior in pseudo-queries: a cluster with n answered queries trusts its
   * own rate with weight n / (n + priorStrength). Defaults to `10`.
   */
  priorStrength?: number;
}

export const STATS_DEFAULTS = { priorStrength: 10 } as const;

/** Per-model rates over all given rows (answered cells only). */
export function globalModelStats(correct: Int8Array, cost: Float64Array, models: number, rows?: ArrayLike<number>): GlobalModelStats[] {
  const n = new Float64Array(models);
  const errors = new Float64Array(models);
  const costSum = new Float64Array(models);
  const count = rows ? rows.length : correct.length / models;
  for (let i = 0; i < count; i++) {
    const q = rows ? rows[i] : i;
    for (let m = 0; m < models; m++) {
      const v = correct[q * models + m];
      if (v === -1) continue;
      n[m]++;
      if (v === 0) errors[m]++;
      costSum[m] += cost[q * models + m];
    }
  }
  return Array.from({ length: models }, (_, m) => ({
    n: n[m],
    errors: errors[m],
    errorRate: n[m] > 0 ? errors[m] / n[m] : Number.NaN,
    meanCost: n[m] > 0 ? costSum[m] / n[m] : Number.NaN,
  }));
}

/**
 * Empirical-Bayes routing table: stats[c][m] for clusters 0..k-1 of the given rows.
 * Each rate is shrunk towards the model's global rate on the same rows, so a 9-query cluster
 * moves little from the global rate and a 900-query one keeps its own.
 */
export function clusterStats(
  correct: Int8Array,
  cost: Float64Array,
  models: number,
  labels: ArrayLike<number>,
  k: number,
  options: ClusterStatsOptions = {},
): { global: GlobalModelStats[]; clusters: ModelClusterStats[][]; sizes: number[] } {
  const { priorStrength } = { ...STATS_DEFAULTS, ...options };
  const global = globalModelStats(correct, cost, models);
  const n = new Float64Array(k * models);
  const errors = new Float64Array(k * models);
  const costSum = new Float64Array(k * models);
  const sizes = new Array<number>(k).fill(0);
  for (let q = 0; q < labels.length; q++) {
    const c = labels[q];
    sizes[c]++;
    for (let m = 0; m < models; m++) {
      const v = correct[q * models + m];
      if (v === -1) continue;
      n[c * models + m]++;
      if (v === 0) errors[c * models + m]++;
      costSum[c * models + m] += cost[q * models + m];
    }
  }
  const clusters = Array.from({ length: k }, (_, c) =>
    Array.from({ length: models }, (_, m): ModelClusterStats => {
      const i = c * models + m;
      const p = Number.isNaN(global[m].errorRate) ? 0.5 : global[m].errorRate;
      const a = errors[i] + priorStrength * p;
      const b = n[i] - errors[i] + priorStrength * (1 - p);
      const mean = a + b > 0 ? a / (a + b) : p;
      const sd = a + b > 0 ? Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1))) : 0.5;
      return {
        n: n[i],
        errors: errors[i],
        errorRate: n[i] > 0 ? errors[i] / n[i] : Number.NaN,
        shrunkErrorRate: mean,
        interval: [Math.max(0, mean - 1.645 * sd), Math.min(1, mean + 1.645 * sd)],
        meanCost: n[i] > 0 ? costSum[i] / n[i] : global[m].meanCost,
      };
    }),
  );
  return { global, clusters, sizes };
}

/** The median of `values`, the mean of the two middle ones for an even count; NaN for none. Sorts a copy. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
