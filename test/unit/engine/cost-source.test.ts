import { describe, expect, it } from 'vitest';
import { describeCostSource } from '../../../core/cost.js';
import type { RunLog } from '../../../core/runlog.js';

const log: RunLog = {
  queries: [{ qid: 'q1', task: 't', prompt: 'p' }],
  models: ['billed', 'listed', 'pooled', 'bare'],
  responses: [
    { qid: 'q1', model: 'billed', response: 'a', answer: 'a', correct: 1, costUsd: 0.01, tpotMs: 12 },
    { qid: 'q1', model: 'listed', response: 'a', answer: 'a', correct: 1 },
    { qid: 'q1', model: 'pooled', response: 'a', answer: 'a', correct: 0 },
    { qid: 'q1', model: 'bare', response: 'a', answer: 'a', correct: 0 },
  ],
  prices: { listed: { usdPerMtokIn: 1, usdPerMtokOut: 2 }, pooled: { usdPerMtokIn: 1, usdPerMtokOut: 2 } },
  priceSources: { listed: 'prices.json', pooled: 'prices.json' },
  sources: [{ path: 'log', sha256: 'x' }],
  tokensApproximate: true,
  tokenizer: 'o200k_base',
};
const pool = { perModel: { pooled: { usdPerMtokIn: 3, usdPerMtokOut: 4, tpotMs: 20 } }, sourceOf: { pooled: 'pool pool.json (tier "p")' } };

describe('describeCostSource', () => {
  it('names, per model, the source costMatrix uses: recorded cost, then the pool tier, then the prices file', () => {
    const usd = describeCostSource(log, 'usd', pool);
    expect(usd.models).toEqual({
      billed: 'cost_usd recorded in the run log',
      listed: 'list price from prices.json × token counts estimated with o200k_base',
      pooled: 'list price from pool pool.json (tier "p") × token counts estimated with o200k_base',
      bare: 'no price',
    });
    expect(usd).toMatchObject({ metric: 'usd', unit: 'USD', tokensApproximate: true, tokenizer: 'o200k_base' });
  });

  it('says where TPOT and token counts come from', () => {
    expect(describeCostSource(log, 'tpot', pool).models).toMatchObject({ billed: 'tpotMs recorded in the run log', pooled: 'tpotMs from pool pool.json (tier "p")', bare: 'no tpotMs' });
    expect(describeCostSource({ ...log, tokensApproximate: false, tokenizer: undefined }, 'tokens').models.bare).toBe('output tokens recorded in the run log');
    expect(describeCostSource({ ...log, tokensApproximate: false, tokenizer: undefined }, 'usd').models.listed).toBe('list price from prices.json × recorded token counts');
  });
});
