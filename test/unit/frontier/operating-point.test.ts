import { describe, expect, it } from 'vitest';
import { encodeCodes } from '../../../core/frontier/certify.js';
import { pickOperatingPoint, type PickableRegion } from '../../../core/frontier/operating-point.js';
import { UnsatisfiableError } from '../../../core/errors.js';
import { mulberry32, permutation } from '../../../core/rng.js';

/** A region whose n evidence codes have `wins` region-only and `losses` strongest-only right answers, the rest both right. */
function region(kind: PickableRegion['kind'], lambdaFrom: number, cost: number, wins: number, losses: number, n = 1000): PickableRegion {
  // Shuffled as the engine shuffles its evidence: the sequential test must not see the wins first.
  const ordered = Uint8Array.from({ length: n }, (_, i) => (i < wins ? 1 : i < wins + losses ? 2 : 3));
  const codes = Uint8Array.from(permutation(n, mulberry32(n + wins + losses)), (p) => ordered[p]);
  const right = n - losses;
  const strong = n - wins;
  return { kind, lambdaFrom, lambdaTo: null, evidence: encodeCodes(codes), expected: { accuracy: right / n, cost, costSd: cost / 2, escalationRate: 0, retention: right / strong, n } };
}

// Down the frontier accuracy falls: region 1 clearly keeps 0.99, region 2 barely, region 3 does not, region 4 does again (out of order).
const regions = [region('reference', 0, 10, 0, 0), region('frontier', 0, 8, 30, 0), region('frontier', 1, 5, 10, 8), region('frontier', 2, 3, 0, 40), region('frontier', 3, 1, 30, 0)];

describe('the certified operating point', () => {
  it('tests down the frontier and stops at the first region that fails, however good a later one looks', () => {
    const pick = pickOperatingPoint(regions, { kind: 'targetRetention', targetRetention: 0.99 }, 0.9);
    expect(pick.region).toBe(2);
    expect(pick.certified!.retentionLower).toBeGreaterThanOrEqual(0.99);
    expect(pick.certified!.confidence).toBe(0.9);
    expect(pick.certified!.method).toMatch(/betting/);
    expect(pick.note).toBeNull();
  });

  it('at confidence 0 takes the cheapest point estimate that meets the target, uncertified', () => {
    const pick = pickOperatingPoint(regions, { kind: 'targetRetention', targetRetention: 0.99 }, 0);
    expect(pick.region).toBe(4);
    expect(pick.certified).toBeNull();
  });

  it('serves the strongest model and says so when nothing cheaper certifies', () => {
    const weak = [regions[0], region('frontier', 0, 5, 0, 15), region('frontier', 1, 1, 0, 30)];
    const pick = pickOperatingPoint(weak, { kind: 'targetRetention', targetRetention: 0.99 }, 0.9);
    expect(pick.region).toBe(0);
    expect(pick.certified!.retentionLower).toBe(1);
    expect(pick.note).toMatch(/no region cheaper than the strongest model keeps retention 0.99 with confidence 0.9/);
    expect(() => pickOperatingPoint(weak, { kind: 'targetRetention', targetRetention: 1.2 }, 0.9)).toThrow(UnsatisfiableError);
  });

  it('fits a budget with the cost bound: the most accurate region whose bound fits', () => {
    const priced = [regions[0], region('frontier', 0, 8, 30, 0), region('frontier', 1, 5, 10, 8), region('frontier', 2, 3, 0, 20), region('frontier', 3, 1, 0, 60)];
    expect(pickOperatingPoint(priced, { kind: 'budget', budget: 3.03 }, 0).region).toBe(3);
    // At confidence 0.9 the bound of the 3-unit region, 3 + 1.28·1.5/√1000 ≈ 3.06, exceeds 3.03.
    expect(pickOperatingPoint(priced, { kind: 'budget', budget: 3.03 }, 0.9).region).toBe(4);
    // A cheaper region that is also more accurate wins whatever its place along λ.
    expect(pickOperatingPoint(regions, { kind: 'budget', budget: 6 }, 0).region).toBe(4);
    expect(() => pickOperatingPoint(priced, { kind: 'budget', budget: 0.5 }, 0.9)).toThrow(/below the cheapest region's cost bound/);
  });

  it('finds the frontier region of a λ and refuses a confidence out of range', () => {
    expect(pickOperatingPoint(regions, { kind: 'lambda', lambda: 1.5 }, 0.9).region).toBe(2);
    expect(pickOperatingPoint(regions, { kind: 'lambda', lambda: 0 }, 0.9).region).toBe(1);
    expect(() => pickOperatingPoint(regions, { kind: 'lambda', lambda: 0 }, 1)).toThrow(/confidence must be in \[0, 1\)/);
  });
});
