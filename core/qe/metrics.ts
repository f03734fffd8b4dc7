import { InvalidInputError } from '../errors.js';

/*
 * QE quality metrics, hand-written because they are a few lines each and the core may not pull
 * in a stats package for them: AUROC (how well scores rank right above wrong answers), expected
 * calibration error and reliability bins (whether a score of 0.9 means right 90% of the time).
 */

function check(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) throw new InvalidInputError(`${labels.length} labels for ${scores.length} scores`);
}

/**
 * Area under the ROC curve: the probability that a random right answer scores above a random wrong
 * one, ties counting half (Mann–Whitney U with mid-ranks). NaN when one class is absent.
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  check(scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) {
        pos++;
        rankSum += midRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Lower and upper edge of the predicted-probability bin. */
  from: number;
  to: number;
  count: number;
  /** Mean predicted probability of the answers in the bin (NaN when empty). */
  meanPredicted: number;
  /** Fraction of those answers that were right (NaN when empty). */
  fractionRight: number;
}

/** Equal-width reliability bins over [0, 1]. */
export function reliabilityBins(probs: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): ReliabilityBin[] {
  check(probs, labels);
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  for (let i = 0; i < probs.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(probs[i] * bins)));
    count[b]++;
    sumP[b] += probs[i];
    sumY[b] += labels[i];
  }
  return count.map((c, b) => ({
    from: b / bins,
    to: (b + 1) / bins,
    count: c,
    meanPredicted: c ? sumP[b] / c : Number.NaN,
    fractionRight: c ? sumY[b] / c : Number.NaN,
  }));
}

/** Expected calibration error: the count-weighted mean gap between predicted and observed rates over equal-width bins. */
export function ece(probs: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): number {
  const n = probs.length;
  if (n === 0) return Number.NaN;
  return reliabilityBins(probs, labels, bins).reduce((s, b) => (b.count ? s + (b.count / n) * Math.abs(b.meanPredicted - b.fractionRight) : s), 0);
}

/** Mean log-loss of probabilities (clipped away from 0 and 1). */
export function logLoss(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  check(probs, labels);
  let s = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, probs[i]));
    s -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return s / probs.length;
}
