import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, UnsatisfiableError } from '../../../core/errors.js';
import { lambdaRegions, lowerEnvelope, paretoEligible, pickByBudget, pickByLambda, pickByRetention, type LambdaRegion } from '../../../core/routing.js';

/** The argmin of e + λc by brute force, ties to the cheaper model then the lower index. */
function bruteArgmin(e: number[], c: number[], lambda: number, eligible: boolean[]): number {
  let best = -1;
  for (let m = 0; m < e.length; m++) {
    if (!eligible[m]) continue;
    if (best < 0) {
      best = m;
      continue;
    }
    const a = e[m] + lambda * c[m];
    const b = e[best] + lambda * c[best];
    if (a < b - 1e-12 || (Math.abs(a - b) <= 1e-12 && (c[m] < c[best] || (c[m] === c[best] && e[m] < e[best])))) best = m;
  }
  return best;
}

const lines = fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })), { minLength: 1, maxLength: 8 }).map((xs) => ({
  e: xs.map(([e]) => e / 100),
  c: xs.map(([, c]) => c / 100),
}));

describe('lower envelope', () => {
  it('agrees with the brute-force argmin at every λ, including exactly at breakpoints', () => {
    fc.assert(
      fc.property(lines, fc.array(fc.double({ min: 0, max: 50, noNaN: true }), { maxLength: 10 }), ({ e, c }, probes) => {
        const all = e.map(() => true);
        const segs = lowerEnvelope(e, c, all);
        const at = (l: number) => segs.filter((s) => s.from <= l).at(-1)!.model;
        for (const l of [...probes, ...segs.map((s) => s.from)]) {
          const brute = bruteArgmin(e, c, l, all);
          expect(e[at(l)] + l * c[at(l)]).toBeCloseTo(e[brute] + l * c[brute], 9);
        }
        for (let i = 1; i < segs.length; i++) {
          expect(segs[i].from).toBeGreaterThan(segs[i - 1].from);
          expect(c[segs[i].model]).toBeLessThan(c[segs[i - 1].model]);
        }
      }),
    );
  });

  it('breaks a tie at λ = 0 towards the cheaper model', () => {
    expect(lowerEnvelope([0.1, 0.1], [1, 0.5], [true, true])[0].model).toBe(1);
  });

  it('refuses a cluster with no eligible model', () => {
    expect(() => lowerEnvelope([0.1], [1], [false])).toThrow(UnsatisfiableError);
  });
});

describe('Pareto pruning', () => {
  it('drops models that another beats or matches on both error and cost', () => {
    expect(paretoEligible([0.1, 0.2, 0.1, 0.05], [1, 1, 0.5, 2])).toEqual([false, false, true, true]);
  });
});

describe('λ regions', () => {
  const input = {
    errorRate: [[0.1, 0.3], [0.05, 0.5]],
    cost: [[10, 1], [10, 1]],
    weight: [0.5, 0.5],
    costScale: 10,
  };
  it('merges per-cluster breakpoints exactly and orders regions by λ', () => {
    const regions = lambdaRegions(input);
    // Cluster 0 switches at (0.3-0.1)/(1-0.1) = 0.2222…, cluster 1 at 0.45/0.9 = 0.5.
    expect(regions).toHaveLength(3);
    [0, 0.2 / 0.9, 0.45 / 0.9].forEach((l, i) => expect(regions[i].lambdaFrom).toBeCloseTo(l, 12));
    expect(regions.map((r) => r.route)).toEqual([[0, 0], [1, 0], [1, 1]]);
    expect(regions.at(-1)!.lambdaTo).toBeNull();
    expect(regions[0].expectedAccuracy).toBeCloseTo(1 - 0.075, 12);
    expect(regions[1].expectedCost).toBeCloseTo(5.5, 12);
    expect(pickByLambda(regions, 0.3)).toBe(1);
    expect(pickByLambda(regions, 0.5)).toBe(2);
  });

  it('gives regions whose accuracy and cost both fall with λ', () => {
    fc.assert(
      fc.property(fc.array(lines, { minLength: 1, maxLength: 4 }), (clusters) => {
        const M = Math.min(...clusters.map((c) => c.e.length));
        const regions = lambdaRegions({
          errorRate: clusters.map((c) => c.e.slice(0, M)),
          cost: clusters.map((c) => c.c.slice(0, M)),
          weight: clusters.map(() => 1 / clusters.length),
          costScale: 1,
        });
        for (let i = 1; i < regions.length; i++) {
          expect(regions[i].expectedCost).toBeLessThanOrEqual(regions[i - 1].expectedCost + 1e-12);
          expect(regions[i].expectedAccuracy).toBeLessThanOrEqual(regions[i - 1].expectedAccuracy + 1e-12);
        }
      }),
    );
  });
});

describe('budget solver', () => {
  const regions: LambdaRegion[] = [
    { lambdaFrom: 0, lambdaTo: 1, route: [0], expectedAccuracy: 0.95, expectedCost: 10 },
    { lambdaFrom: 1, lambdaTo: 2, route: [1], expectedAccuracy: 0.9, expectedCost: 4 },
    { lambdaFrom: 2, lambdaTo: null, route: [2], expectedAccuracy: 0.6, expectedCost: 1 },
  ];
  it('picks the most accurate region that fits the budget', () => {
    expect(pickByBudget(regions, 100)).toBe(0);
    expect(pickByBudget(regions, 9.99)).toBe(1);
    expect(pickByBudget(regions, 4)).toBe(1);
    expect(pickByBudget(regions, 1)).toBe(2);
  });
  it('names the cheapest reachable cost when the budget is infeasible', () => {
    expect(() => pickByBudget(regions, 0.5, 'USD')).toThrow(UnsatisfiableError);
    expect(() => pickByBudget(regions, 0.5, 'USD')).toThrow(/cheapest reachable cost 1 USD/);
    expect(() => pickByBudget(regions, -1)).toThrow(InvalidInputError);
  });
  it('picks the cheapest region meeting a retention target, or names the best reachable one', () => {
    expect(pickByRetention(regions, 0.99, 0.95)).toBe(0);
    expect(pickByRetention(regions, 0.9, 0.95)).toBe(1);
    expect(pickByRetention(regions, 0.5, 0.95)).toBe(2);
    expect(() => pickByRetention(regions, 1.01, 0.95)).toThrow(/best route keeps 1\.0000 at cost 10/);
    expect(() => pickByRetention(regions, 0, 0.95)).toThrow(InvalidInputError);
  });
});
