import { describe, expect, it } from 'vitest';
import { aiq, bootstrapCi, hullAt, nonDecreasingHull, oracleChoice, randomMix, routedTotals, type LabelledCells } from '../../../core/evaluate.js';

// 3 queries × 3 models: model 0 cheap and right once, model 1 mid, model 2 dear and right twice;
// model 1 never answered query 2.
const cells: LabelledCells = {
  models: 3,
  correct: Int8Array.from([1, 1, 1, 0, 1, 1, 0, -1, 0]),
  cost: Float64Array.from([1, 5, 10, 1, 5, 10, 1, Number.NaN, 10]),
};

describe('routed totals', () => {
  it('leaves a routed query whose model has no answer out of accuracy and cost, and counts it', () => {
    expect(routedTotals(cells, [1, 1, 1])).toEqual({ accuracy: 1, cost: 5, answered: 2, unanswered: 1 });
    expect(routedTotals(cells, [2, 2, 2])).toMatchObject({ accuracy: 2 / 3, cost: 10, unanswered: 0 });
  });
});

describe('per-query oracle', () => {
  it('takes the cheapest right model, else the cheapest answered one', () => {
    expect([...oracleChoice(cells)]).toEqual([0, 1, 0]);
  });
});

describe('frontier measures', () => {
  const points = [
    { cost: 1, accuracy: 0.5 },
    { cost: 2, accuracy: 0.55 }, // under the chord 1→3: not on the hull
    { cost: 3, accuracy: 0.9 },
    { cost: 5, accuracy: 0.85 }, // less accurate than a cheaper point: not on a non-decreasing hull
    { cost: 6, accuracy: 0.95 },
  ];
  it("builds RouterBench's non-decreasing convex hull", () => {
    expect(nonDecreasingHull(points)).toEqual([points[0], points[2], points[4]]);
    expect(hullAt(nonDecreasingHull(points), 2)).toBeCloseTo(0.7, 12);
    expect(hullAt(nonDecreasingHull(points), 100)).toBe(0.95);
  });
  it('integrates AIQ exactly over the cost range', () => {
    // Trapezoids: [1,3] mean 0.7 × 2, [3,6] mean 0.925 × 3 → 4.175 / 5.
    expect(aiq(points, 1, 6)).toBeCloseTo(4.175 / 5, 12);
    expect(aiq([{ cost: 2, accuracy: 0.8 }], 1, 3)).toBeCloseTo(0.8, 12);
  });
  it('mixes two models at random to a target cost', () => {
    const mix = randomMix({ cost: 1, accuracy: 0.5 }, { cost: 11, accuracy: 1 }, 6);
    expect(mix.accuracy).toBeCloseTo(0.75, 12);
    expect(randomMix({ cost: 1, accuracy: 0.5 }, { cost: 11, accuracy: 1 }, 50)).toEqual({ cost: 11, accuracy: 1 });
  });
});

describe('bootstrap', () => {
  it('is seeded and brackets the point estimate', () => {
    const Q = 200;
    const big: LabelledCells = { models: 2, correct: new Int8Array(Q * 2), cost: new Float64Array(Q * 2) };
    for (let q = 0; q < Q; q++) {
      big.correct[q * 2] = q % 10 === 0 ? 0 : 1;
      big.correct[q * 2 + 1] = 1;
      big.cost[q * 2] = 1;
      big.cost[q * 2 + 1] = q % 2 ? 4 : 2;
    }
    const column = (m: number) => ({ correct: Array.from({ length: Q }, (_, q) => big.correct[q * 2 + m]), cost: Array.from({ length: Q }, (_, q) => big.cost[q * 2 + m]) });
    const a = bootstrapCi(column(0), column(1), { samples: 300, seed: 7 });
    expect(bootstrapCi(column(0), column(1), { samples: 300, seed: 7 })).toEqual(a);
    expect(a.retention[0]).toBeLessThan(0.9);
    expect(a.retention[1]).toBeGreaterThan(0.9);
    expect(a.retention[1]).toBeLessThan(1);
    expect(a.costReduction[0]).toBeLessThan(2 / 3);
    expect(a.costReduction[1]).toBeGreaterThan(2 / 3);
  });
});
