import { describe, expect, it } from 'vitest';
import { bettingRejects, decodeCodes, encodeCodes, normalQuantile, retentionCertified, retentionLowerBound } from '../../../core/frontier/certify.js';
import { mulberry32 } from '../../../core/rng.js';

/** n paired outcomes: both right with probability `both`, only the region right with `wins`, only the strongest with `losses`. */
function sample(n: number, both: number, wins: number, losses: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => {
    const u = rand();
    return u < both ? 3 : u < both + wins ? 1 : u < both + wins + losses ? 2 : 0;
  });
}

const retention = (codes: Uint8Array) => codes.reduce((a, c) => a + (c & 1), 0) / codes.reduce((a, c) => a + (c >> 1), 0);

describe('the paired betting certificate', () => {
  it('is valid: a region whose true retention is below the target is certified at most δ of the time', () => {
    // True retention (0.91 + 0.0265) / (0.91 + 0.04) ≈ 0.986 against a 0.99 target.
    let certified = 0;
    const runs = 300;
    for (let seed = 0; seed < runs; seed++) if (retentionCertified(sample(1200, 0.91, 0.0265, 0.04, seed), 0.99, 0.1)) certified++;
    expect(certified / runs).toBeLessThanOrEqual(0.1);
  });

  it('has power where the data support it, and its bound sits below the point estimate', () => {
    // True retention (0.91 + 0.045) / (0.91 + 0.03) ≈ 1.016.
    const codes = sample(1200, 0.91, 0.045, 0.03, 7);
    expect(retention(codes)).toBeGreaterThan(1);
    expect(retentionCertified(codes, 0.99, 0.1)).toBe(true);
    const lower = retentionLowerBound(codes, 0.1);
    expect(lower).toBeGreaterThan(0.99);
    expect(lower).toBeLessThan(retention(codes));
    // More confidence, a lower bound.
    expect(retentionLowerBound(codes, 0.01)).toBeLessThan(lower);
  });

  it('certifies a region that always agrees with the strongest model at any target up to 1', () => {
    const same = Uint8Array.from({ length: 800 }, (_, i) => (i % 20 === 0 ? 0 : 3));
    expect(retentionCertified(same, 0.99, 0.1)).toBe(true);
    expect(retentionCertified(same, 1.01, 0.1)).toBe(false);
  });

  it('refuses a mean test whose null is impossible or certain', () => {
    expect(bettingRejects([1, 1, 1], 0, 0, 1, 0.1)).toBe(true);
    expect(bettingRejects([0, 0, 0], 1, 0, 1, 0.1)).toBe(false);
  });

  it('packs evidence four codes to a byte and reads it back, naming a bad field', () => {
    const codes = sample(1001, 0.9, 0.05, 0.03, 3);
    expect(decodeCodes(encodeCodes(codes), codes.length)).toEqual(codes);
    expect(() => decodeCodes('not base64!', 10, 'regions[3].evidence')).toThrow(/regions\[3\]\.evidence/);
  });

  it('has the normal quantiles a cost bound needs', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.9)).toBeCloseTo(1.2815516, 6);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.0902323, 6);
  });
});
