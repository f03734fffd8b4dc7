import { cellIndex, type Workload } from '../workload.js';
import type { QeInput } from './features.js';
import { InvalidInputError } from '../errors.js';
import type { LabelledAnswer, LearnedQe } from './model.js';

/** The QE input of one answered (query, model) cell of a workload, or null where the model did not answer. */
export function qeInputOf(w: Workload, q: number, m: number, cluster: number): QeInput | null {
  const r = w.responses[cellIndex(w, q, m)];
  if (!r) return null;
  const tokens = w.outputTokens[cellIndex(w, q, m)];
  return {
    query: w.prompts[q],
    response: r.response,
    answer: r.answer,
    model: w.models[m],
    cluster,
    ...(Number.isFinite(tokens) && { outputTokens: tokens }),
    ...(r.logprobs && { logprobs: r.logprobs }),
  };
}

/** Every graded answer of the given queries (all models), labelled with its correctness. */
export function labelledAnswers(w: Workload, rows: ArrayLike<number>, clusterOf: ArrayLike<number>): LabelledAnswer[] {
  const out: LabelledAnswer[] = [];
  for (let i = 0; i < rows.length; i++) {
    const q = rows[i];
    for (let m = 0; m < w.models.length; m++) {
      const c = w.correct[cellIndex(w, q, m)];
      if (c === -1) continue;
      out.push({ input: qeInputOf(w, q, m, clusterOf[q])!, correct: c as 0 | 1 });
    }
  }
  return out;
}

/** A cached scorer of workload cells: the calibrated QE score of model m's answer to query q. */
export function qeScorer(qe: LearnedQe, w: Workload, clusterOf: ArrayLike<number>): (q: number, m: number) => number {
  const M = w.models.length;
  const cache = new Float64Array(w.qids.length * M).fill(Number.NaN);
  return (q, m) => {
    const i = cellIndex(w, q, m);
    if (Number.isNaN(cache[i])) {
      const x = qeInputOf(w, q, m, clusterOf[q]);
      if (!x) throw new InvalidInputError(`no answer of "${w.models[m]}" to "${w.qids[q]}" to score`, 'QE');
      cache[i] = qe.score(x);
    }
    return cache[i];
  };
}
