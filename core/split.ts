import { OutOfRangeError } from './errors.js';
import { mulberry32, permutation } from './rng.js';

export interface SplitOptions {
  /** Share of queries used for tuning, in (0, 1). Defaults to `0.6`. */
  trainFraction?: number;
  /** Seed of the shuffle. Defaults to `0`. */
  seed?: number;
}

export const SPLIT_DEFAULTS = { trainFraction: 0.6, seed: 0 } as const;

/** Row indices of a train/test split; no query is on both sides. */
export interface QuerySplit {
  train: Int32Array;
  test: Int32Array;
}

export function checkTrainFraction(f: number, where = '--train-frac'): void {
  if (!(f > 0 && f < 1)) throw new OutOfRangeError(`train fraction must be in the open range (0, 1), got ${f}`, where);
}

/**
 * A seeded split by query, stratified by task so both sides keep the task mix. The order of
 * queries within the log does not matter: each task's qids are sorted before the shuffle.
 */
export function splitQueries(qids: readonly string[], tasks: readonly string[], options: SplitOptions = {}): QuerySplit {
  const { trainFraction, seed } = { ...SPLIT_DEFAULTS, ...options };
  checkTrainFraction(trainFraction);
  const byTask = new Map<string, number[]>();
  qids.forEach((_, i) => {
    const list = byTask.get(tasks[i]) ?? [];
    list.push(i);
    byTask.set(tasks[i], list);
  });
  const rand = mulberry32(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const task of [...byTask.keys()].sort()) {
    const rows = byTask.get(task)!.sort((a, b) => (qids[a] < qids[b] ? -1 : qids[a] > qids[b] ? 1 : 0));
    const perm = permutation(rows.length, rand);
    const nTrain = Math.round(rows.length * trainFraction);
    perm.forEach((p, i) => (i < nTrain ? train : test).push(rows[p]));
  }
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { train: sorted(train), test: sorted(test) };
}

/** The split a config recorded: its train qids on one side; on the other its held-out qids when it lists them, else every other query. */
export function splitByTrainQids(qids: readonly string[], trainQids: readonly string[], testQids?: readonly string[]): QuerySplit {
  const inTrain = new Set(trainQids);
  // A tune on a slice of the log (some tasks, say) held out only the slice's other queries.
  const inTest = testQids && new Set(testQids);
  const train: number[] = [];
  const test: number[] = [];
  qids.forEach((q, i) => {
    if (inTrain.has(q)) train.push(i);
    else if (!inTest || inTest.has(q)) test.push(i);
  });
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

/** Seeded k-fold assignment of n rows: fold index per row. */
export function foldsOf(n: number, folds: number, seed: number): Int32Array {
  const perm = permutation(n, mulberry32(seed ^ 0xf01d));
  const out = new Int32Array(n);
  perm.forEach((row, i) => (out[row] = i % folds));
  return out;
}
