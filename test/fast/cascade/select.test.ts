import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../../core/cascade/candidates.js';
import { concaveHull, selectPlans, type Group } from '../../../core/cascade/select.js';

const cand = (model: string, accuracy: number, cost: number): Candidate => ({ plan: { action: 'answer', model }, accuracy, cost, escalationRate: 0 });

describe('concaveHull', () => {
  it('drops dominated and below-chord candidates', () => {
    const hull = concaveHull([cand('a', 0.5, 1), cand('b', 0.55, 5), cand('c', 0.9, 3), cand('d', 0.95, 10), cand('e', 0.4, 2)]);
    expect(hull.map((c) => (c.plan as { model: string }).model)).toEqual(['a', 'c', 'd']);
  });

  it('is increasing in cost and accuracy with decreasing slopes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true })), { minLength: 1, maxLength: 30 }), (pts) => {
        const hull = concaveHull(pts.map(([a, c], i) => cand(String(i), a, c)));
        for (let i = 1; i < hull.length; i++) {
          expect(hull[i].cost).toBeGreaterThanOrEqual(hull[i - 1].cost);
          expect(hull[i].accuracy).toBeGreaterThan(hull[i - 1].accuracy);
        }
        for (let i = 2; i < hull.length; i++) {
          const s1 = (hull[i - 1].accuracy - hull[i - 2].accuracy) / (hull[i - 1].cost - hull[i - 2].cost);
          const s2 = (hull[i].accuracy - hull[i - 1].accuracy) / (hull[i].cost - hull[i - 1].cost);
          expect(s2).toBeLessThanOrEqual(s1 + 1e-9);
        }
      }),
    );
  });
});

describe('selectPlans', () => {
  const groups: Group[] = [
    { weight: 0.5, n: 1000, strongestAccuracy: 0.9, candidates: [cand('cheap', 0.6, 1), cand('mid', 0.85, 2), cand('top', 0.9, 10)] },
    { weight: 0.5, n: 1000, strongestAccuracy: 0.8, candidates: [cand('cheap', 0.7, 1), cand('top', 0.8, 10)] },
  ];

  it('meets a retention target at the lowest cost on the λ path', () => {
    const s = selectPlans(groups, { kind: 'targetRetention', targetRetention: 0.9, margin: 0 });
    expect(s.met).toBe(true);
    expect(s.retention).toBeGreaterThanOrEqual(0.9);
    // Group 0 upgrades to "mid" (slope 0.25) before group 1 to "top" (0.011).
    expect(s.chosen.map((c) => (c.plan as { model: string }).model)).toEqual(['mid', 'cheap']);
  });

  it('keeps a margin of standard errors in hand', () => {
    const few = groups.map((g) => ({ ...g, n: 20 }));
    const loose = selectPlans(few, { kind: 'targetRetention', targetRetention: 0.9, margin: 0 });
    const safe = selectPlans(few, { kind: 'targetRetention', targetRetention: 0.9, margin: 2 });
    expect(safe.cost).toBeGreaterThan(loose.cost);
    expect(safe.marginUsed).toBeGreaterThan(0);
  });

  it('reports an unreachable target as not met, with the most accurate plans', () => {
    const s = selectPlans(groups, { kind: 'targetRetention', targetRetention: 1.01, margin: 0 });
    expect(s.met).toBe(false);
    expect(s.retention).toBeCloseTo(1, 12);
  });

  it('stays within a budget', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 12, noNaN: true }), (budget) => {
        const s = selectPlans(groups, { kind: 'budget', budget });
        expect(s.met).toBe(true);
        expect(s.cost).toBeLessThanOrEqual(budget + 1e-12);
      }),
    );
    expect(selectPlans(groups, { kind: 'budget', budget: 0.5 }).met).toBe(false);
  });

  it('costs more for a higher target', () => {
    let last = 0;
    for (const t of [0.7, 0.8, 0.9, 0.95, 1]) {
      const s = selectPlans(groups, { kind: 'targetRetention', targetRetention: t, margin: 0 });
      expect(s.cost).toBeGreaterThanOrEqual(last);
      last = s.cost;
    }
  });
});
