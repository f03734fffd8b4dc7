import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { calibrate, CalibratorSchema, fitCalibrator, type CalibrationMethod } from './calibration.js';
import { extractFeatures, extractFeaturesScratch, featureDim, FeatureSpecSchema, fitFeatureSpec, type QeInput, type SparseRow } from './features.js';
import { LogisticRegression, logit, sigmoid, type LogisticState } from './logistic.js';
import { logLoss } from './metrics.js';

/**
 * The learned QE as it travels in a tuned config: the feature layout, the logistic weights
 * (only the slots training touched, rounded) and the calibrator fitted on held-out answers.
 */
export const QeModelSchema = z.object({
  kind: z.literal('logistic'),
  spec: FeatureSpecSchema,
  /** The L2 penalty chosen on the calibration answers. */
  l2: z.number().nonnegative(),
  intercept: z.number(),
  /** Non-zero weights as parallel arrays of slot and value. */
  slots: z.array(z.number().int().nonnegative()),
  values: z.array(z.number()),
  calibrator: CalibratorSchema,
  /** Answers it was trained and calibrated on. */
  trainedOn: z.number().int().nonnegative(),
  calibratedOn: z.number().int().nonnegative(),
});
export type QeModel = z.infer<typeof QeModelSchema>;

export interface TrainQeOptions {
  /** log2 of the hashed text slots (2^14 ranks as well as 2^16 on the shared data at a quarter of the size). Defaults to `14`. */
  hashBits?: number;
  /** L2 penalties to try, strongest first (each fit warm-starts the next); the lowest log-loss on the calibration answers wins. Defaults to `[1e-2, 1e-3]` (1e-4 never won on the shared data). */
  l2Grid?: number[];
  /** How raw scores become probabilities. Defaults to `'isotonic'`. */
  calibration?: CalibrationMethod;
  /** The solver stops when the gradient's max-norm falls below this. Defaults to `1e-5`. */
  tol?: number;
  /** Weight per training answer (for example to count a new model's few probe answers more). Defaults to all 1. */
  sampleWeights?: ArrayLike<number>;
}

/** A labelled answer: the QE input and whether the answer was right. */
export interface LabelledAnswer {
  input: QeInput;
  correct: 0 | 1;
}

/**
 * Trains the QE on `train` and calibrates it on `calibration`, which must be answers to other
 * queries: the calibrator then sees scores as they will look on unseen answers.
 */
export function trainQe(train: readonly LabelledAnswer[], calibration: readonly LabelledAnswer[], models: readonly string[], clusters: number, options: TrainQeOptions = {}): QeModel {
  if (train.length === 0) throw new InvalidInputError('no answers to train the QE on');
  if (calibration.length === 0) throw new InvalidInputError('no answers to calibrate the QE on');
  const spec = fitFeatureSpec(train.map((a) => a.input), models, clusters, { hashBits: options.hashBits ?? 14 });
  const dim = featureDim(spec);
  const rows = train.map((a) => extractFeatures(spec, a.input));
  const labels = Int8Array.from(train, (a) => a.correct);
  const calRows = calibration.map((a) => extractFeatures(spec, a.input));
  const calLabels = Int8Array.from(calibration, (a) => a.correct);
  let best: { l2: number; state: LogisticState; loss: number } | undefined;
  let previous: LogisticState | undefined;
  for (const l2 of options.l2Grid ?? [1e-2, 1e-3]) {
    const state = new LogisticRegression({ l2, ...(options.tol !== undefined && { tol: options.tol }) }).fit(rows, labels, dim, options.sampleWeights, previous);
    previous = state;
    const loss = logLoss(calRows.map((r) => sigmoid(logit(state, r))), calLabels);
    if (!best || loss < best.loss) best = { l2, state, loss };
  }
  const { l2, state } = best!;
  const calibrator = fitCalibrator(options.calibration ?? 'isotonic', calRows.map((r) => logit(state, r)), calLabels);
  const slots: number[] = [];
  const values: number[] = [];
  state.weights.forEach((w, j) => {
    const r = Number(w.toPrecision(6));
    if (r !== 0) {
      slots.push(j);
      values.push(r);
    }
  });
  return { kind: 'logistic', spec, l2, intercept: state.intercept, slots, values, calibrator, trainedOn: train.length, calibratedOn: calibration.length };
}

/** A QE model ready to score: the weights unpacked into a dense vector once. */
export class LearnedQe {
  readonly model: QeModel;
  readonly #state: LogisticState;

  constructor(model: QeModel) {
    this.model = model;
    const weights = new Float64Array(featureDim(model.spec));
    model.slots.forEach((s, k) => {
      if (s >= weights.length) throw new InvalidInputError(`weight slot ${s} is outside the feature space (${weights.length})`, 'qe.slots');
      weights[s] = model.values[k];
    });
    this.#state = { weights, intercept: model.intercept };
  }

  /** The raw log-odds of one feature row. */
  rawScore(row: SparseRow): number {
    return logit(this.#state, row);
  }

  /**
   * The calibrated probability that the answer is right. An answer with no final answer scores 0:
   * every grader marks it wrong (graders.ts), while a refusal, an empty reply or a small model's
   * runaway text is unlike the answers the QE learned from and may score anything. Allocates
   * nothing: it is on the serving hot path.
   */
  score(input: QeInput): number {
    if (input.answer === null) return 0;
    const row = extractFeaturesScratch(this.model.spec, input);
    return calibrate(this.model.calibrator, logit(this.#state, row, row.length));
  }
}
