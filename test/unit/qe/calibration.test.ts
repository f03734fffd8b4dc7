import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calibrate, CalibratorSchema, fitIsotonic, fitPlatt } from '../../../core/qe/calibration.js';
import { mulberry32 } from '../../../core/rng.js';

describe('isotonic calibration (PAV)', () => {
  it('pools adjacent violators into their mean', () => {
    const c = fitIsotonic([1, 2, 3, 4], [0, 1, 0, 1]);
    expect(c.kind).toBe('isotonic');
    if (c.kind !== 'isotonic') return;
    expect(c.y).toEqual([0, 0.5, 1]);
    expect(calibrate(c, 2.5)).toBeCloseTo(0.5, 12);
    expect(calibrate(c, -10)).toBe(0);
    expect(calibrate(c, 10)).toBe(1);
  });

  it('is non-decreasing in the score and stays in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: -5, max: 5, noNaN: true }), fc.integer({ min: 0, max: 1 })), { minLength: 1, maxLength: 60 }), (pairs) => {
        const c = fitIsotonic(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
        let last = -Infinity;
        for (let x = -6; x <= 6; x += 0.25) {
          const p = calibrate(c, x);
          expect(p).toBeGreaterThanOrEqual(last - 1e-12);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
          last = p;
        }
        expect(CalibratorSchema.parse(JSON.parse(JSON.stringify(c)))).toEqual(c);
      }),
    );
  });

  it('round-trips through JSON exactly, a knot at -0 included (found by the property above)', () => {
    const c = fitIsotonic([-0, 0], [0, 0]);
    expect(CalibratorSchema.parse(JSON.parse(JSON.stringify(c)))).toEqual(c);
  });

  it('keeps the mean label up to the interpolation between knots (PAV preserves the total)', () => {
    const rand = mulberry32(3);
    const s = Array.from({ length: 300 }, () => rand());
    const y = s.map((x) => (rand() < x ? 1 : 0));
    const c = fitIsotonic(s, y);
    const mean = s.reduce((a, x) => a + calibrate(c, x), 0) / s.length;
    expect(mean).toBeCloseTo(y.reduce((a: number, b) => a + b, 0) / y.length, 2);
  });
});

describe('Platt scaling', () => {
  it('recovers the slope and intercept of a logistic link', () => {
    const rand = mulberry32(7);
    const s = Array.from({ length: 4000 }, () => rand() * 8 - 4);
    const y = s.map((x) => (rand() < 1 / (1 + Math.exp(-(2 * x - 1))) ? 1 : 0));
    const c = fitPlatt(s, y);
    if (c.kind !== 'platt') throw new Error('expected platt');
    expect(c.a).toBeGreaterThan(1.7);
    expect(c.a).toBeLessThan(2.3);
    expect(c.b).toBeGreaterThan(-1.3);
    expect(c.b).toBeLessThan(-0.7);
  });

  it('names the problem when there is nothing to calibrate on', () => {
    expect(() => fitPlatt([], [])).toThrow(/no answers to calibrate/);
  });
});
