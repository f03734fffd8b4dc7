import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { choiceAt, concaveHull, frontierRegions, interiorLambda } from '../../../core/frontier/hull.js';

const option = fc.record({
  accuracy: fc.double({ min: 0, max: 1, noNaN: true }),
  cost: fc.double({ min: 0, max: 10, noNaN: true }),
  escalationRate: fc.constant(0),
});

describe('the one λ sweep', () => {
  it('picks, at every λ, the option that minimises error + λ·cost/scale', () => {
    fc.assert(
      fc.property(fc.array(option, { minLength: 1, maxLength: 12 }), fc.double({ min: 0, max: 100, noNaN: true }), (options, lambda) => {
        const hull = concaveHull(options);
        const chosen = hull[choiceAt(hull, lambda, 2)];
        const objective = (o: { accuracy: number; cost: number }) => 1 - o.accuracy + (lambda * o.cost) / 2;
        const best = Math.min(...options.map(objective));
        expect(objective(chosen)).toBeLessThanOrEqual(best + 1e-9);
      }),
    );
  });

  it('lists regions in increasing λ, along which every cluster only steps to cheaper options', () => {
    fc.assert(
      fc.property(fc.array(fc.array(option, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }), (clusters) => {
        const hulls = clusters.map((c) => concaveHull(c));
        const regions = frontierRegions(hulls, 1);
        expect(regions[0].lambdaFrom).toBe(0);
        expect(regions.at(-1)!.lambdaTo).toBeNull();
        for (let i = 1; i < regions.length; i++) {
          expect(regions[i].lambdaFrom).toBeGreaterThan(regions[i - 1].lambdaFrom);
          expect(regions[i - 1].lambdaTo).toBe(regions[i].lambdaFrom);
          regions[i].choice.forEach((j, c) => expect(hulls[c][j].cost).toBeLessThanOrEqual(hulls[c][regions[i - 1].choice[c]].cost));
        }
        // Inside a region the choice is the region's own.
        for (const r of regions) {
          const lambda = interiorLambda(r.lambdaFrom, r.lambdaTo);
          expect(hulls.map((h) => choiceAt(h, lambda, 1))).toEqual(r.choice);
        }
      }),
    );
  });

  it('drops options that are dominated or under the chord', () => {
    const hull = concaveHull([
      { accuracy: 0.5, cost: 1, escalationRate: 0 },
      { accuracy: 0.6, cost: 3, escalationRate: 0 },
      { accuracy: 0.9, cost: 4, escalationRate: 0 },
      { accuracy: 0.8, cost: 5, escalationRate: 0 },
      { accuracy: 0.7, cost: 2.9, escalationRate: 0 },
    ]);
    expect(hull.map((o) => o.cost)).toEqual([1, 4]);
  });
});
