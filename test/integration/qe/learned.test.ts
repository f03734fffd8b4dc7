import { beforeAll, describe, expect, it } from 'vitest';
import { crossFitFolds } from '../../../core/cascade/crossfit.js';
import { labelledAnswers } from '../../../core/qe/dataset.js';
import { auroc, ece } from '../../../core/qe/metrics.js';
import { LearnedQe, QeModelSchema, trainQe, type QeModel } from '../../../core/qe/model.js';
import { splitQueries } from '../../../core/split.js';
import { buildWorkload, type Workload } from '../../../core/workload.js';
import { loadSharedFormat } from '../../../native-models/runlog/shared-format.js';

// Real recorded answers: 18 models on GSM8K and CRUXEval, clusters = tasks.
const DATA = '../shared/data/zeroeval-gsm8k-crux';

let w: Workload;
let model: QeModel;
let heldOut: ReturnType<typeof labelledAnswers>;

beforeAll(async () => {
  w = buildWorkload(await loadSharedFormat(DATA));
  const clusterOf = Int32Array.from(w.tasks, (t) => (t === 'gsm8k' ? 0 : 1));
  const { train } = splitQueries(w.qids, w.tasks, { seed: 0 });
  // Five stratified folds: fit on three, calibrate on one, hold one out.
  const fold = crossFitFolds(train, clusterOf, 2, 5, 0);
  const part = (f: (x: number) => boolean) => Array.from(train).filter((_, i) => f(fold[i]));
  model = trainQe(labelledAnswers(w, part((f) => f < 3), clusterOf), labelledAnswers(w, part((f) => f === 3), clusterOf), w.models, 2);
  heldOut = labelledAnswers(w, part((f) => f === 4), clusterOf);
}, 120_000);

describe('learned QE on the shared data', () => {
  it('ranks right answers above wrong ones and is calibrated on answers it never saw', () => {
    const qe = new LearnedQe(model);
    const p = heldOut.map((a) => qe.score(a.input));
    const y = heldOut.map((a) => a.correct);
    expect(auroc(p, y)).toBeGreaterThan(0.78);
    expect(ece(p, y)).toBeLessThan(0.04);
  });

  it('round-trips through JSON and the schema with identical scores', () => {
    const again = new LearnedQe(QeModelSchema.parse(JSON.parse(JSON.stringify(model))));
    const qe = new LearnedQe(model);
    for (const a of heldOut.slice(0, 200)) expect(again.score(a.input)).toBe(qe.score(a.input));
  });

  it('scores an answer with no final answer 0, however its text reads', () => {
    const qe = new LearnedQe(model);
    const right = heldOut.find((a) => a.correct === 1 && a.input.answer !== null)!;
    expect(qe.score(right.input)).toBeGreaterThan(0);
    for (const response of ['', 'I do not know.', "I'm sorry, I can't help with that.", 'Once upon a time there was a little dog who']) {
      expect(qe.score({ ...right.input, response, answer: null, wellFormed: false })).toBe(0);
    }
  });

  it('names a corrupt weight slot', () => {
    expect(() => new LearnedQe({ ...model, slots: [1e9], values: [1] })).toThrow(/qe\.slots.*outside the feature space/);
  });
});
