import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auroc, ece, logLoss, reliabilityBins } from '../../../core/qe/metrics.js';

/** AUROC by counting every (right, wrong) pair: the definition the fast rank formula must match. */
function pairwiseAuroc(s: number[], y: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < s.length; i++) {
    for (let j = 0; j < s.length; j++) {
      if (y[i] !== 1 || y[j] !== 0) continue;
      pairs++;
      wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

describe('auroc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one and 0.5 for all ties', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
  });

  it('is NaN when one class is missing', () => {
    expect(auroc([0.1, 0.2], [1, 1])).toBeNaN();
  });

  it('matches the pairwise definition, ties counting half', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 40 }), (pairs) => {
        const s = pairs.map((p) => p[0] / 5);
        const y = pairs.map((p) => p[1]);
        if (!y.includes(0) || !y.includes(1)) return;
        expect(auroc(s, y)).toBeCloseTo(pairwiseAuroc(s, y), 12);
      }),
    );
  });

  it('refuses scores and labels of different lengths', () => {
    expect(() => auroc([0.1], [1, 0])).toThrow(/2 labels for 1 scores/);
  });
});

describe('ece and reliability bins', () => {
  it("is 0 when each bin's mean prediction equals its observed rate", () => {
    const p = [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75];
    const y = [1, 0, 0, 0, 1, 1, 1, 0];
    expect(ece(p, y)).toBeCloseTo(0, 12);
  });

  it('is the count-weighted gap when predictions are off', () => {
    // Bin [0.9, 1): predicted 0.9, observed 0.5 → gap 0.4 on all answers.
    expect(ece([0.9, 0.9], [1, 0])).toBeCloseTo(0.4, 12);
  });

  it('puts every answer in exactly one bin, 1.0 in the last', () => {
    const bins = reliabilityBins([0, 0.05, 0.5, 0.99, 1], [0, 0, 1, 1, 1], 10);
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(5);
    expect(bins[9].count).toBe(2);
    expect(bins[0].fractionRight).toBe(0);
  });

  it('log-loss is finite for confident mistakes', () => {
    expect(Number.isFinite(logLoss([0, 1], [1, 0]))).toBe(true);
  });
});
