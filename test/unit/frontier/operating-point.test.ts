import { describe, expect, it } from 'vitest';
import { decodeCodes, encodeCodes, retentionCertified } from '../../../core/frontier/certify.js';
import { pickOperatingPoint, testSequence, type PickableRegion } from '../../../core/frontier/operating-point.js';
import { UnsatisfiableError } from '../../../core/errors.js';
import { mulberry32, permutation } from '../../../core/rng.js';

/**
 * A region over n queries of which the strongest model answers n − 100 right: the region answers
 * `wins` of the strongest's wrong ones and misses `losses` of its right ones.
 */
function region(kind: PickableRegion['kind'], lambdaFrom: number, cost: number, wins: number, losses: number, n = 1000): PickableRegion {
  // Shuffled as the engine shuffles its evidence: the sequential test must not see the wins first.
  const ordered = Uint8Array.from({ length: n }, (_, i) => (i < wins ? 1 : i < 100 ? 0 : i < 100 + losses ? 2 : 3));
  const codes = Uint8Array.from(permutation(n, mulberry32(n + wins + losses)), (p) => ordered[p]);
  const right = n - 100 - losses + wins;
  return { kind, lambdaFrom, lambdaTo: null, evidence: encodeCodes(codes), expected: { accuracy: right / n, cost, costSd: cost / 2, escalationRate: 0, retention: right / (n - 100), n } };
}

// Region 1 is beaten by region 2 on accuracy and cost; region 3 certifies; region 4 keeps 0.9978 over
// 86 disagreements, too few to certify; region 5, cheaper and a little less accurate, would certify
// on its own (3 disagreements) but comes after region 4's failure.
const regions = [
  region('reference', 0, 10, 0, 0),
  region('frontier', 0, 9.8, 0, 12),
  region('frontier', 1, 8, 30, 0),
  region('frontier', 2, 5, 0, 1),
  region('frontier', 3, 3, 42, 44),
  region('frontier', 4, 1, 0, 3),
];

describe('the certified operating point', () => {
  it('tests the Pareto regions from the most accurate down and stops at the first that fails, however good a later one looks', () => {
    expect(testSequence(regions).map((x) => x.i)).toEqual([2, 3, 4, 5]);
    expect(retentionCertified(decodeCodes(regions[5].evidence, 1000), 0.99, 0.1)).toBe(true);
    expect(retentionCertified(decodeCodes(regions[1].evidence, 1000), 0.99, 0.1)).toBe(false);
    const pick = pickOperatingPoint(regions, { kind: 'targetRetention', targetRetention: 0.99 }, 0.9);
    expect(pick.region).toBe(3);
    expect(pick.certified!.retentionLower).toBe(0.99);
    expect(pick.certified!.confidence).toBe(0.9);
    expect(pick.certified!.method).toMatch(/betting/);
    expect(pick.note).toBeNull();
  });

  it('at confidence 0 takes the cheapest point estimate that meets the target, uncertified', () => {
    const pick = pickOperatingPoint(regions, { kind: 'targetRetention', targetRetention: 0.99 }, 0);
    expect(pick.region).toBe(5);
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
    const outOfOrder = [regions[0], region('frontier', 0, 5.5, 0, 12), region('frontier', 1, 2, 0, 2)];
    expect(pickOperatingPoint(outOfOrder, { kind: 'budget', budget: 6 }, 0).region).toBe(2);
    expect(() => pickOperatingPoint(priced, { kind: 'budget', budget: 0.5 }, 0.9)).toThrow(/below the cheapest region's cost bound/);
  });

  it('finds the frontier region of a λ and refuses a confidence out of range', () => {
    expect(pickOperatingPoint(regions, { kind: 'lambda', lambda: 1.5 }, 0.9).region).toBe(2);
    expect(pickOperatingPoint(regions, { kind: 'lambda', lambda: 0 }, 0.9).region).toBe(1);
    expect(() => pickOperatingPoint(regions, { kind: 'lambda', lambda: 0 }, 1)).toThrow(/confidence must be in \[0, 1\)/);
  });
});
