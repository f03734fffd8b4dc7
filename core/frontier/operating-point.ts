import { InvalidInputError, UnsatisfiableError } from '../errors.js';
import { costUpperBound, decodeCodes, retentionCertified, retentionLowerBound, RETENTION_METHOD } from './certify.js';
import type { RegionFigures } from './build.js';
import { choiceAt } from './hull.js';

/** How to choose an operating point among the regions. */
export type OperatingCriterion =
  | { kind: 'budget'; budget: number }
  | { kind: 'targetRetention'; targetRetention: number }
  | { kind: 'lambda'; lambda: number };

/** What picking needs of a region. */
export interface PickableRegion {
  kind: 'reference' | 'frontier';
  lambdaFrom: number;
  lambdaTo: number | null;
  expected: RegionFigures;
  evidence: string;
}

/** What the data certify about the chosen region, at the stated confidence. */
export interface Certificate {
  /** Retention is at least this with the stated confidence. */
  retentionLower: number;
  /** Mean cost per query is at most this with the stated confidence; null where too few queries bound it. */
  costUpper: number | null;
  confidence: number;
  method: string;
}

export interface OperatingChoice {
  region: number;
  /** null when confidence is 0: the cross-fitted point estimate alone. */
  certified: Certificate | null;
  /** Said plainly when the criterion fell back (nothing cheaper than the strongest model certified). */
  note: string | null;
}

export const COST_METHOD = 'one-sided normal bound on the out-of-sample mean cost';

export function checkConfidence(confidence: number, where = '--confidence'): void {
  if (!(confidence >= 0 && confidence < 1)) throw new InvalidInputError(`confidence must be in [0, 1), got ${confidence}`, where);
}

/** The certificate of one region at a confidence (bounds computed on its out-of-sample evidence). */
export function certificateOf(region: PickableRegion, confidence: number): Certificate {
  const delta = 1 - confidence;
  const e = region.expected;
  const costUpper = costUpperBound(e.cost, e.costSd, e.n, delta);
  return {
    retentionLower: region.kind === 'reference' ? 1 : retentionLowerBound(decodeCodes(region.evidence, e.n), delta),
    costUpper: Number.isFinite(costUpper) ? costUpper : null,
    confidence,
    method: `${RETENTION_METHOD}; cost: ${COST_METHOD}`,
  };
}

/** The frontier region containing λ (the reference region has no λ). */
export function regionAtLambda(regions: readonly Pick<PickableRegion, 'kind' | 'lambdaFrom'>[], lambda: number): number {
  if (!(lambda >= 0)) throw new InvalidInputError(`λ must be ≥ 0, got ${lambda}`, '--lambda');
  let found = -1;
  regions.forEach((r, i) => {
    if (r.kind === 'frontier' && r.lambdaFrom <= lambda) found = i;
  });
  return found < 0 ? regions.findIndex((r) => r.kind === 'frontier') : found;
}

/** A region's mean cost bound at a confidence: the upper bound, or the point estimate at confidence 0. */
export function costBound(e: RegionFigures, confidence: number): number {
  return confidence === 0 ? e.cost : costUpperBound(e.cost, e.costSd, e.n, 1 - confidence);
}

/**
 * The most accurate frontier region whose cost bound fits a budget (ties: the cheaper); -1 when none
 * does. The regions are walked from the cheapest bound up, so a budget is matched the same way however
 * the guards left costs ordered along λ.
 */
export function regionWithinBudget(regions: readonly { kind: PickableRegion['kind']; costBound: number; accuracy: number }[], budget: number): number {
  let best = -1;
  regions.forEach((r, i) => {
    if (r.kind !== 'frontier' || !(r.costBound <= budget)) return;
    const b = regions[best];
    if (best < 0 || r.accuracy > b.accuracy || (r.accuracy === b.accuracy && r.costBound < b.costBound)) best = i;
  });
  return best;
}

/**
 * The regions a retention target tests, in order: the frontier regions that no other region (the
 * reference included) matches or beats on both expected accuracy and cost, from the most accurate
 * down. The guards leave the frontier's figures slightly out of order along λ; a dominated region is
 * never the answer to any criterion, and testing it could only end the fixed sequence early on a
 * choice nobody wants (its failure would hide cheaper regions that are more accurate).
 */
export function testSequence<R extends Pick<PickableRegion, 'kind' | 'expected'>>(regions: readonly R[]): { r: R; i: number }[] {
  const beats = (a: RegionFigures, b: RegionFigures) => a.accuracy >= b.accuracy && a.cost <= b.cost && (a.accuracy > b.accuracy || a.cost < b.cost);
  return regions
    .map((r, i) => ({ r, i }))
    .filter(({ r, i }) => r.kind === 'frontier' && !regions.some((o, j) => j !== i && beats(o.expected, r.expected)))
    .sort((a, b) => b.r.expected.accuracy - a.r.expected.accuracy || a.r.expected.cost - b.r.expected.cost || a.i - b.i);
}

/**
 * Picks the operating region. With confidence > 0, a retention target is tested down the frontier from
 * the most accurate region (fixed-sequence testing over `testSequence`, each step at level 1 − confidence)
 * and the cheapest region before the first failure wins; when even the first fails, the reference region (the strongest
 * model everywhere) is served. A budget serves the most accurate region whose cost upper bound fits it. With confidence 0 the cross-fitted point estimates decide, uncertified.
 */
export function pickOperatingPoint(regions: readonly PickableRegion[], criterion: OperatingCriterion, confidence: number, unit = ''): OperatingChoice {
  checkConfidence(confidence);
  const frontier = regions.map((r, i) => ({ r, i })).filter((x) => x.r.kind === 'frontier');
  if (frontier.length === 0) throw new InvalidInputError('the config has no frontier regions', 'regions');
  const reference = regions.findIndex((r) => r.kind === 'reference');
  const delta = 1 - confidence;
  const done = (region: number, note: string | null = null): OperatingChoice => ({ region, certified: confidence > 0 ? certificateOf(regions[region], confidence) : null, note });
  switch (criterion.kind) {
    case 'lambda':
      return done(regionAtLambda(regions, criterion.lambda));
    case 'targetRetention': {
      const target = criterion.targetRetention;
      if (!(target > 0 && target <= 2)) throw new InvalidInputError(`target retention must be in (0, 2], got ${target}`, '--target-retention');
      if (confidence === 0) {
        const meets = frontier.filter((x) => x.r.expected.retention >= target - 1e-12);
        if (meets.length > 0) return done(meets.reduce((a, b) => (b.r.expected.cost < a.r.expected.cost ? b : a)).i);
      } else {
        let last = -1;
        for (const { r, i } of testSequence(regions)) {
          if (!retentionCertified(decodeCodes(r.evidence, r.expected.n), target, delta)) break;
          last = i;
        }
        if (last >= 0) {
          // The sequence stopped at the cheapest region that passed, so that region's own bound (computed
          // as if it had been chosen in advance) overstates what was tested: the target is what is certified.
          const own = certificateOf(regions[last], confidence);
          return { region: last, certified: { ...own, retentionLower: Math.min(target, own.retentionLower) }, note: null };
        }
      }
      const best = Math.max(...frontier.map((x) => x.r.expected.retention));
      if (reference >= 0 && target <= 1) {
        return done(reference, confidence > 0
          ? `no region cheaper than the strongest model keeps retention ${target} with confidence ${confidence}: serving the strongest model`
          : `no region's out-of-sample retention reaches ${target} (best ${best.toFixed(4)}): serving the strongest model`);
      }
      throw new UnsatisfiableError(`target retention ${target} is out of reach: the best region keeps ${best.toFixed(4)} out of sample`, '--target-retention');
    }
    case 'budget': {
      const budget = criterion.budget;
      if (!(Number.isFinite(budget) && budget >= 0)) throw new InvalidInputError(`budget must be a number ≥ 0, got ${budget}`, '--budget');
      const bound = (r: PickableRegion) => costBound(r.expected, confidence);
      const last = regionWithinBudget(regions.map((r) => ({ kind: r.kind, costBound: bound(r), accuracy: r.expected.accuracy })), budget);
      if (last < 0) {
        const cheapest = frontier.map((x) => x.r).reduce((a, b) => (bound(b) < bound(a) ? b : a));
        const what = confidence > 0 ? `cost bound ${bound(cheapest).toPrecision(4)}${unit && ' ' + unit} at confidence ${confidence}` : `cost ${cheapest.expected.cost.toPrecision(4)}${unit && ' ' + unit}`;
        throw new UnsatisfiableError(`budget ${budget}${unit && ' ' + unit} per query is below the cheapest region's ${what}`, '--budget');
      }
      return done(last);
    }
  }
}

/**
 * Among hull points (cheapest first), the one a criterion picks on point estimates alone: what the
 * baselines (k = 1, FrugalGPT) use, which have no out-of-sample evidence to certify.
 */
export function pickOnHull<T extends { accuracy: number; cost: number }>(hull: readonly T[], criterion: OperatingCriterion, strongestAccuracy: number, costScale: number): T {
  if (criterion.kind === 'lambda') return hull[choiceAt(hull, criterion.lambda, costScale)];
  if (criterion.kind === 'budget') {
    const fits = hull.filter((h) => h.cost <= criterion.budget);
    return fits.length ? fits[fits.length - 1] : hull[0];
  }
  return hull.find((h) => h.accuracy / strongestAccuracy >= criterion.targetRetention) ?? hull[hull.length - 1];
}
