import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KMeansClusterer, nearestCentroid } from '../../../core/cluster.js';
import { OutOfRangeError } from '../../../core/errors.js';
import { foldsOf, splitByTrainQids, splitQueries } from '../../../core/split.js';
import { clusterStats } from '../../../core/stats.js';

describe('split by query', () => {
  const qids = Array.from({ length: 50 }, (_, i) => `q${i}`);
  const tasks = qids.map((_, i) => (i % 5 === 0 ? 'a' : 'b'));

  it('never puts a query on both sides, covers all, keeps the fraction per task, and is seeded', () => {
    fc.assert(fc.property(fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer(), (f, seed) => {
      const s = splitQueries(qids, tasks, { trainFraction: f, seed });
      const train = new Set(s.train);
      expect([...s.test].some((i) => train.has(i))).toBe(false);
      expect(s.train.length + s.test.length).toBe(qids.length);
      expect([...s.train].filter((i) => tasks[i] === 'a').length).toBe(Math.round(10 * f));
      expect(splitQueries(qids, tasks, { trainFraction: f, seed })).toEqual(s);
    }));
  });

  it('does not depend on the order of the queries in the log', () => {
    const s = splitQueries(qids, tasks, { seed: 3 });
    const rev = splitQueries([...qids].reverse(), [...tasks].reverse(), { seed: 3 });
    expect(new Set([...rev.train].map((i) => qids.length - 1 - i))).toEqual(new Set(s.train));
  });

  it('refuses a train fraction outside (0, 1), naming the flag', () => {
    for (const f of [0, 1, 1.5, -0.2, Number.NaN]) {
      expect(() => splitQueries(qids, tasks, { trainFraction: f })).toThrow(OutOfRangeError);
    }
    expect(() => splitQueries(qids, tasks, { trainFraction: 2 })).toThrow(/--train-frac: .*\(0, 1\)/);
  });

  it('rebuilds a recorded split from its train qids', () => {
    const s = splitByTrainQids(qids, ['q1', 'q3']);
    expect([...s.train]).toEqual([1, 3]);
    expect(s.test).toHaveLength(48);
  });

  it('assigns seeded folds of near-equal size', () => {
    const f = foldsOf(10, 3, 1);
    expect([0, 1, 2].map((k) => f.filter((x) => x === k).length)).toEqual([4, 3, 3]);
    expect(foldsOf(10, 3, 1)).toEqual(f);
  });
});

describe('per-cluster stats', () => {
  // 2 models; cluster 0 has 4 queries, cluster 1 has 40. Model 0 is right everywhere except on
  // cluster 0, where it is always wrong; model 1 never answered query 0.
  const k0 = 4;
  const n = 44;
  const correct = new Int8Array(n * 2);
  const cost = new Float64Array(n * 2);
  const labels = Int32Array.from({ length: n }, (_, q) => (q < k0 ? 0 : 1));
  for (let q = 0; q < n; q++) {
    correct[q * 2] = q < k0 ? 0 : 1;
    correct[q * 2 + 1] = q === 0 ? -1 : 1;
    cost[q * 2] = 1;
    cost[q * 2 + 1] = q === 0 ? Number.NaN : 3;
  }
  const { global, clusters, sizes } = clusterStats(correct, cost, 2, labels, 2, { priorStrength: 10 });

  it('excludes unanswered cells from rates and costs, never counting them wrong', () => {
    expect(clusters[0][1]).toMatchObject({ n: 3, errors: 0, errorRate: 0, meanCost: 3 });
    expect(global[1]).toMatchObject({ n: 43, errors: 0 });
    expect(sizes).toEqual([4, 40]);
  });

  it('shrinks a small cluster towards the global rate, more than a large one', () => {
    const p = global[0].errorRate;
    expect(p).toBeCloseTo(4 / 44, 12);
    expect(clusters[0][0].errorRate).toBe(1);
    expect(clusters[0][0].shrunkErrorRate).toBeCloseTo((4 + 10 * p) / (4 + 10), 12);
    expect(clusters[0][0].shrunkErrorRate).toBeLessThan(0.5);
    expect(Math.abs(clusters[1][0].shrunkErrorRate - clusters[1][0].errorRate)).toBeLessThan(0.03);
    const [lo, hi] = clusters[0][0].interval;
    expect(lo).toBeLessThan(clusters[0][0].shrunkErrorRate);
    expect(hi).toBeGreaterThan(clusters[0][0].shrunkErrorRate);
  });
});

describe('k-means', () => {
  const rows = Array.from({ length: 60 }, (_, i) => [i < 30 ? 0 : 5, (i % 7) / 10, i < 30 ? 1 : -1]);
  it('finds well-separated groups and gives the same result for the same seed', () => {
    const a = new KMeansClusterer({ k: 2, seed: 4 }).fit(rows);
    const b = new KMeansClusterer({ k: 2, seed: 4 }).fit(rows);
    expect(a.labels).toEqual(b.labels);
    expect(a.centroids).toEqual(b.centroids);
    expect(new Set(a.labels.slice(0, 30)).size).toBe(1);
    expect(a.labels[0]).not.toBe(a.labels[59]);
    expect(nearestCentroid(a.centroids, 3, [5, 0, -1])).toBe(a.labels[59]);
  });
  it('refuses k below 1 or above the number of queries', () => {
    expect(() => new KMeansClusterer({ k: 0 })).toThrow(/k must be an integer ≥ 1/);
    expect(() => new KMeansClusterer({ k: 61 }).fit(rows)).toThrow(/cannot make 61 clusters of 60 queries/);
  });
});
