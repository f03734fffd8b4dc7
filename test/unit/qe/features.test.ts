import { describe, expect, it } from 'vitest';
import { extractFinalAnswer } from '../../../core/extract.js';
import { DENSE_FEATURES, extractFeatures, featureDim, fitFeatureSpec, qeInputFor, type QeInput } from '../../../core/qe/features.js';

const base: QeInput = {
  query: 'Tom has 3 apples and buys 4 more. How many apples?',
  response: '```json\n{"reasoning": "3 + 4 = 7", "answer": "7"}\n```',
  answer: '7',
  model: 'small',
  cluster: 1,
  outputTokens: 20,
};

const spec = fitFeatureSpec([base, { ...base, model: 'large', outputTokens: 40 }, { ...base, answer: null, response: 'I am not sure.' }], ['small', 'large'], 2, { hashBits: 10 });

describe('QE features', () => {
  it('are deterministic, sorted and inside the feature space', () => {
    const a = extractFeatures(spec, base);
    const b = extractFeatures(spec, { ...base });
    expect(Array.from(a.idx)).toEqual(Array.from(b.idx));
    expect(Array.from(a.val)).toEqual(Array.from(b.val));
    for (let i = 1; i < a.idx.length; i++) expect(a.idx[i]).toBeGreaterThan(a.idx[i - 1]);
    expect(a.idx[a.idx.length - 1]).toBeLessThan(featureDim(spec));
  });

  it('set the model, cluster and model×cluster one-hots', () => {
    const row = extractFeatures(spec, base);
    const start = 1 << spec.hashBits;
    const has = (slot: number) => Array.from(row.idx).includes(slot);
    expect(has(start + 0)).toBe(true); // model "small"
    expect(has(start + 2 + 1)).toBe(true); // cluster 1
    expect(has(start + 2 + 2 + 0 * 2 + 1)).toBe(true); // (small, 1)
    expect(has(start + 1)).toBe(false);
  });

  it('change when the answer text changes, and mark a missing final answer', () => {
    const right = extractFeatures(spec, base);
    const missing = extractFeatures(spec, { ...base, answer: null, response: 'I am not sure.' });
    expect(Array.from(right.idx)).not.toEqual(Array.from(missing.idx));
    const noAnswerSlot = featureDim(spec) - DENSE_FEATURES.length + DENSE_FEATURES.indexOf('noFinalAnswer');
    const value = (r: typeof right) => r.val[Array.from(r.idx).indexOf(noAnswerSlot)];
    expect(value(missing)).toBeGreaterThan(value(right));
  });

  it('use log-probabilities where the answer has them', () => {
    const withLp = extractFeatures(spec, { ...base, logprobs: { mean: -0.2, min: -3, entropy: 0.5 } });
    const without = extractFeatures(spec, base);
    expect(withLp.idx.length).toBeGreaterThanOrEqual(without.idx.length);
    expect(Array.from(withLp.val)).not.toEqual(Array.from(without.val));
  });

  it('read a given wellFormed exactly as the one they would work out from the response', () => {
    for (const response of [base.response, 'The answer is 7.', '{"answer": 7', '{"reasoning": "x"}']) {
      const x = { ...base, response };
      const given = extractFeatures(spec, { ...x, wellFormed: extractFinalAnswer('numeric', response).wellFormed });
      const worked = extractFeatures(spec, x);
      expect(Array.from(given.idx)).toEqual(Array.from(worked.idx));
      expect(Array.from(given.val)).toEqual(Array.from(worked.val));
    }
  });

  it('refuse a model or cluster the QE was not trained on, naming it', () => {
    expect(() => extractFeatures(spec, { ...base, model: 'other' })).toThrow(/model "other" is not known to the QE/);
    expect(() => extractFeatures(spec, { ...base, cluster: 2 })).toThrow(/cluster 2 is outside 0..1/);
  });
});

describe('qeInputFor (live answers)', () => {
  it('extracts the final answer as the run logs were graded', () => {
    const x = qeInputFor(base.query, base.response, 'small', 0, { answerKind: 'numeric', outputTokens: 20 });
    expect(x.answer).toBe('7');
    expect(x.wellFormed).toBe(true);
    expect(extractFeatures(spec, x).idx).toEqual(extractFeatures(spec, { ...base, cluster: 0 }).idx);
    expect(qeInputFor(base.query, 'no idea', 'small', 0).answer).toBeNull();
  });
});
