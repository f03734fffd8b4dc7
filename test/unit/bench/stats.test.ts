import { describe, expect, it } from 'vitest';
import { quantile } from '../../../bench/stats.js';
import { median } from '../../../core/stats.js';

describe('bench statistics', () => {
  it('reads a median of an even count as the mean of the two middle values, not the upper one', () => {
    const savings = [0.4, 0, 0.236, 0.429, 0.31, 0.25, 0.36, 0.369, 0.396, 0.234];
    expect(median(savings)).toBeCloseTo((0.31 + 0.36) / 2, 12);
    expect(quantile(savings, 0.5)).toBe(0.36);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNaN();
  });
});
