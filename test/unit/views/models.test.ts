import { describe, expect, it } from 'vitest';
import { modelSummaries } from '../../../core/views/models.js';
import type { Workload } from '../../../core/workload.js';

// 3 queries × 2 models; model b did not answer query 1, and a's cost of query 2 is unknown.
const w = {
  qids: ['q0', 'q1', 'q2'],
  models: ['a', 'b'],
  correct: Int8Array.from([1, 0, 0, -1, 1, 1]),
} as Workload;

describe('per-model statistics', () => {
  it('counts answered queries, their accuracy and mean cost, and the unanswered ones with their reasons', () => {
    const cost = Float64Array.from([1, 10, 3, Number.NaN, 5, 20]);
    const unanswered = new Map([['b', { model: 'b', unanswered: 1, byReason: { context_length: 1 } }]]);
    expect(modelSummaries(w, cost, unanswered)).toEqual([
      { model: 'a', answered: 3, accuracy: 2 / 3, meanCost: 3, unanswered: 0, unansweredReasons: {} },
      { model: 'b', answered: 2, accuracy: 0.5, meanCost: 15, unanswered: 1, unansweredReasons: { context_length: 1 } },
    ]);
  });

  it('leaves the mean cost unknown where any answered cell\'s cost is, or no cost is known', () => {
    const cost = Float64Array.from([1, 10, Number.NaN, 1, 5, 20]);
    expect(modelSummaries(w, cost, new Map()).map((s) => s.meanCost)).toEqual([null, 15]);
    expect(modelSummaries(w, null, new Map()).map((s) => s.meanCost)).toEqual([null, null]);
  });
});
