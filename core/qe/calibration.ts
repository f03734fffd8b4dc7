import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { LogisticRegression, sigmoid } from './logistic.js';

/*
 * Calibration maps a raw QE score to the probability that the answer is right, fitted on
 * answers the classifier never trained on. Isotonic regression (pool-adjacent-violators) is
 * hand-written: no maintained JS library offers weighted PAV, and it is 30 lines.
 */

/** A fitted calibrator, serialisable as JSON. */
export const CalibratorSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('isotonic'),
    /** Increasing raw-score knots and their calibrated probabilities; linear between, flat outside. */
    x: z.array(z.number()),
    y: z.array(z.number().min(0).max(1)),
  }),
  z.object({ kind: z.literal('platt'), a: z.number(), b: z.number() }),
]);
export type Calibrator = z.infer<typeof CalibratorSchema>;

export type CalibrationMethod = Calibrator['kind'];

function checkPairs(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length === 0) throw new InvalidInputError('no answers to calibrate the QE on');
  if (scores.length !== labels.length) throw new InvalidInputError(`${labels.length} labels for ${scores.length} scores`);
}

/** Isotonic regression of labels on scores (non-decreasing), by pool-adjacent-violators. */
export function fitIsotonic(scores: ArrayLike<number>, labels: ArrayLike<number>): Calibrator {
  checkPairs(scores, labels);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  // Blocks of tied or pooled points: mean score, mean label, weight.
  const bx: number[] = [];
  const by: number[] = [];
  const bw: number[] = [];
  for (const i of order) {
    const last = bx.length - 1;
    if (last >= 0 && scores[i] === bx[last] && bw[last] > 0) {
      by[last] = (by[last] * bw[last] + labels[i]) / (bw[last] + 1);
      bw[last]++;
    } else {
      bx.push(scores[i]);
      by.push(labels[i]);
      bw.push(1);
    }
    while (bx.length > 1 && by[bx.length - 2] >= by[bx.length - 1]) {
      const b = bx.length - 1;
      const w = bw[b - 1] + bw[b];
      bx[b - 1] = (bx[b - 1] * bw[b - 1] + bx[b] * bw[b]) / w;
      by[b - 1] = (by[b - 1] * bw[b - 1] + by[b] * bw[b]) / w;
      bw[b - 1] = w;
      bx.pop();
      by.pop();
      bw.pop();
    }
  }
  // `+ 0` turns a -0 knot into 0: JSON has no -0, so the config written to disk would differ from the fitted one.
  return { kind: 'isotonic', x: bx.map((v) => v + 0), y: by };
}

/** Platt scaling: a one-feature logistic regression on the raw score. */
export function fitPlatt(scores: ArrayLike<number>, labels: ArrayLike<number>): Calibrator {
  checkPairs(scores, labels);
  const rows = Array.from(scores, (s) => ({ idx: Int32Array.of(0), val: Float64Array.of(s) }));
  const state = new LogisticRegression({ l2: 0 }).fit(rows, labels, 1);
  return { kind: 'platt', a: state.weights[0], b: state.intercept };
}

export function fitCalibrator(method: CalibrationMethod, scores: ArrayLike<number>, labels: ArrayLike<number>): Calibrator {
  return method === 'isotonic' ? fitIsotonic(scores, labels) : fitPlatt(scores, labels);
}

/** The calibrated probability of one raw score. */
export function calibrate(c: Calibrator, score: number): number {
  if (c.kind === 'platt') return sigmoid(c.a * score + c.b);
  const { x, y } = c;
  if (score <= x[0]) return y[0];
  const last = x.length - 1;
  if (score >= x[last]) return y[last];
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid] <= score) lo = mid;
    else hi = mid;
  }
  const t = (score - x[lo]) / (x[hi] - x[lo]);
  return y[lo] + t * (y[hi] - y[lo]);
}
