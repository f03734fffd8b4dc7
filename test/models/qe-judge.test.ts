import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitIsotonic } from '../../core/qe/calibration.js';
import type { QeInput } from '../../core/qe/features.js';
import { LlmJudgeQe } from '../../native-models/qe/llm-judge.js';
import { TierPool } from '../../native-models/tiers/pool.js';

// The LLM judge through the Tier interface, on a real tiny GGUF model (stories260K: its verdicts
// mean nothing, but the prompt, the one-token greedy call and the log-probability are real).
let pool: TierPool;

beforeAll(async () => {
  pool = await TierPool.open('fixtures/pools/tiny-local.json');
});
afterAll(async () => {
  await pool.dispose();
});

const inputs: QeInput[] = [
  { query: 'Tom has 3 apples and buys 4 more. How many?', response: 'He has 7 apples.', answer: '7', model: 'x', cluster: 0 },
  { query: 'Tom has 3 apples and buys 4 more. How many?', response: 'He has 12 apples.', answer: '12', model: 'x', cluster: 0 },
];

describe('LLM judge on a real local tier', () => {
  it('gives a probability per answer from one greedy token, the same on every run', async () => {
    const judge = new LlmJudgeQe(pool.get('stories260K'));
    expect(judge.name).toBe('llm-judge:stories260K');
    expect(judge.promptFor(inputs[0])).toContain('He has 7 apples.');
    const a = await judge.score(inputs);
    const b = await judge.score(inputs);
    expect(a).toHaveLength(2);
    for (const p of a) {
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
    }
    expect(b).toEqual(a);
  });

  it('maps raw yes-probabilities through a calibrator', async () => {
    // Calibration data where every judged answer was right: any raw score maps to 1.
    const judge = new LlmJudgeQe(pool.get('stories260K'), { calibrator: fitIsotonic([0.3, 0.7], [1, 1]) });
    expect(await judge.score(inputs)).toEqual([1, 1]);
  });

  it('refuses a prompt without the answer slot', () => {
    expect(() => new LlmJudgeQe(pool.get('stories260K'), { prompt: 'Is it right?' })).toThrow(/must contain \{answer\}/);
  });
});
