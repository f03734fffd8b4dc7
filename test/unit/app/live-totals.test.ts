// The Live view's totals over a query's passes: cost adds up, and time follows the cascade's shape
// (an agreement partner runs beside stage 1; escalations follow one another).
import { describe, expect, it } from 'vitest';
import type { PassStats } from '../../../core/app-api.js';
import { liveTotals, type LivePass } from '../../../renderer/store/live.js';

function pass(n: number, role: LivePass['role'], stats: Partial<PassStats> | null): LivePass {
  return {
    pass: n, tier: `t${n}`, cluster: null, role, text: '', tokenTimes: [], qeScore: null, threshold: null, escalate: null, reason: null,
    stats: stats && { ttftMs: 1, tpotMs: 1, inputTokens: 10, outputTokens: 5, latencyMs: 0, costUsd: 0, stopReason: 'stop', ...stats },
  };
}

describe('liveTotals', () => {
  it('is null before any pass has ended', () => {
    expect(liveTotals([])).toBeNull();
    expect(liveTotals([pass(0, 'stage1', null)])).toBeNull();
  });

  it('adds costs and tokens, and times stage 1 beside its partner, then each escalation after', () => {
    const totals = liveTotals([
      pass(0, 'stage1', { latencyMs: 120, costUsd: 0.001 }),
      pass(1, 'partner', { latencyMs: 200, costUsd: 0.002 }),
      pass(2, 'escalation', { latencyMs: 300, costUsd: 0.01, outputTokens: 7 }),
      pass(3, 'escalation', { latencyMs: 50, costUsd: 0.02 }),
    ]);
    expect(totals).toEqual({ passes: 4, costUsd: 0.033, inputTokens: 40, outputTokens: 22, latencyMs: 200 + 300 + 50 });
  });

  it('counts only the passes that have ended while the query still streams', () => {
    expect(liveTotals([pass(0, 'stage1', { latencyMs: 80, costUsd: 0.5 }), pass(1, 'escalation', null)])).toEqual({ passes: 1, costUsd: 0.5, inputTokens: 10, outputTokens: 5, latencyMs: 80 });
  });
});
