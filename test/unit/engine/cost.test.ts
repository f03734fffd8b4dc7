import { describe, expect, it } from 'vitest';
import { checkPricingModels, costMatrix } from '../../../core/cost.js';
import { InvalidInputError, UnsatisfiableError } from '../../../core/errors.js';
import type { RunLog } from '../../../core/runlog.js';
import { buildWorkload } from '../../../core/workload.js';

const log: RunLog = {
  queries: [
    { qid: 'q1', task: 't', prompt: 'a', promptTokens: 100 },
    { qid: 'q2', task: 't', prompt: 'b', promptTokens: 200 },
  ],
  models: ['small', 'big'],
  responses: [
    { qid: 'q1', model: 'small', response: 'x', answer: 'x', correct: 1, outputTokens: 10, tpotMs: 5 },
    { qid: 'q1', model: 'big', response: 'x', answer: 'x', correct: 1, outputTokens: 20, costUsd: 0.5 },
    { qid: 'q2', model: 'small', response: 'x', answer: 'x', correct: 0, outputTokens: 30 },
  ],
  prices: { small: { usdPerMtokIn: 1, usdPerMtokOut: 2 }, big: { usdPerMtokIn: 10, usdPerMtokOut: 20 } },
  sources: [{ path: 'mem', sha256: '' }],
  tokensApproximate: false,
};
const w = buildWorkload(log);

describe('cost matrix', () => {
  it("uses the log's own cost where present, else tokens × list price", () => {
    const c = costMatrix(w, 'usd', { prices: log.prices });
    expect(c[0]).toBeCloseTo((100 * 1 + 10 * 2) / 1e6, 15);
    expect(c[1]).toBe(0.5);
    expect(c[2]).toBeCloseTo((200 + 60) / 1e6, 15);
    expect(Number.isNaN(c[3])).toBe(true); // big never answered q2: unknown, not free
  });

  it('lets pool-file prices override the log\'s', () => {
    const c = costMatrix(w, 'usd', { prices: log.prices, perModel: { small: { usdPerMtokIn: 0, usdPerMtokOut: 1 } } });
    expect(c[0]).toBeCloseTo(10 / 1e6, 15);
  });

  it('counts output tokens for the tokens metric', () => {
    expect([...costMatrix(w, 'tokens')].slice(0, 3)).toEqual([10, 20, 30]);
  });

  it('takes TPOT per query where recorded, else the pool figure, else names model and metric', () => {
    expect(() => costMatrix(w, 'tpot')).toThrow(UnsatisfiableError);
    expect(() => costMatrix(w, 'tpot')).toThrow(/no TPOT figure for model "small" \(metric tpot\).*query "q2"/);
    const c = costMatrix(w, 'tpot', { perModel: { small: { tpotMs: 7 }, big: { tpotMs: 30 } } });
    expect([c[0], c[1], c[2]]).toEqual([5, 30, 7]);
    expect(() => costMatrix(w, 'latency', { perModel: { small: { latencyMs: 1 } } })).toThrow(/model "big" \(metric latency\)/);
  });

  it('names a model with no USD price', () => {
    expect(() => costMatrix(w, 'usd', { prices: { big: log.prices.big } })).toThrow(/no USD price for model "small"/);
  });

  it('refuses pricing for a model the pool does not have', () => {
    expect(() => checkPricingModels({ perModel: { smal: { tpotMs: 1 } } }, w.models, 'pool.json')).toThrow(InvalidInputError);
    expect(() => checkPricingModels({ perModel: { smal: { tpotMs: 1 } } }, w.models, 'pool.json')).toThrow(/pool\.json: unknown model "smal" in pricing/);
  });
});
