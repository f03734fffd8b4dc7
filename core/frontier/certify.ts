/*
 * Certificates for an operating point. A region is tested on per-query, out-of-sample outcomes (every
 * outcome comes from a plan chosen without that query). Retention uses a one-sided test by betting
 * (Waudby-Smith & Ramdas, "Estimating means of bounded random variables by betting", JRSS-B 2023) on the
 * paired differences d = y − R·s, where y is the region's correctness and s the strongest model's on the
 * same query: d lies in [−R, 1], and its variance comes only from the queries where the two disagree, so
 * the test is far tighter than a Hoeffding bound while valid for any sample size, with no normal
 * approximation. Regions are tested in a fixed order down the frontier (Learn-then-Test, Angelopoulos et
 * al. 2021): each test at level δ, stopping at the first failure, which keeps the error ≤ δ however many
 * regions there are. No library offers a paired betting test, so it is written here.
 */

import { decodeBase64, encodeBase64 } from '../embed/base64.js';
import { InvalidInputError } from '../errors.js';

/** Per query, the pair (region right?, strongest right?) packed as a code 0..3: 2·s + y. */
export type PairCodes = Uint8Array;

/** Named in reports and configs. */
export const RETENTION_METHOD = 'paired betting test (Waudby-Smith & Ramdas 2023), fixed sequence down the Pareto frontier (Learn-then-Test)';

/** Truncation of the bet: never stake more than half of the capital that a loss could take. */
const MAX_STAKE = 0.5;

/**
 * Whether H0: E[x] ≤ m is rejected at level δ, for x in [lo, hi]. The capital Π(1 + λ_t·(u_t − μ0)) on
 * the rescaled u = (x − lo)/(hi − lo) with predictable λ_t ≥ 0 is a non-negative supermartingale under
 * H0, so by Ville's inequality it reaches 1/δ with probability at most δ. The bet is the approximate
 * growth-rate-optimal one (aGRAPA) from the running mean and variance, truncated. The plug-in bet tuned
 * for a known n gave bounds up to 0.005 higher on the public log's frontiers, but over the robustness
 * bench's seeds 0–4 the regions it let through kept 0.99 on test in 84% of runs against 91% with
 * this bet (test splits of a few hundred queries are noisy about a region that just passes), so the
 * margin stays.
 */
export function bettingRejects(x: ArrayLike<number>, m: number, lo: number, hi: number, delta: number): boolean {
  if (!(hi > lo)) return false;
  const mu0 = (m - lo) / (hi - lo);
  if (mu0 <= 0) return true;
  if (mu0 >= 1) return false;
  const target = Math.log(1 / delta);
  const maxBet = MAX_STAKE / mu0;
  let logCapital = 0;
  let sum = 0.5;
  let sumSq = 0.25;
  for (let t = 0; t < x.length; t++) {
    const mean = sum / (t + 1);
    const variance = Math.max(1e-6, sumSq / (t + 1));
    const edge = mean - mu0;
    const bet = edge > 0 ? Math.min(maxBet, edge / (variance + edge * edge)) : 0;
    const u = (x[t] - lo) / (hi - lo);
    logCapital += Math.log1p(bet * (u - mu0));
    if (logCapital >= target) return true;
    sum += u;
    sumSq += (u - sum / (t + 2)) ** 2;
  }
  return false;
}

function differences(codes: PairCodes, r: number): Float64Array {
  return Float64Array.from(codes, (c) => (c & 1) - r * (c >> 1));
}

/** Whether "retention below r" is rejected at level δ on the paired outcomes. */
export function retentionCertified(codes: PairCodes, r: number, delta: number): boolean {
  return bettingRejects(differences(codes, r), 0, -r, 1, delta);
}

/** The largest retention certified at level δ (bisection: a higher r only makes every difference smaller). */
export function retentionLowerBound(codes: PairCodes, delta: number): number {
  if (codes.length === 0) return 0;
  let lo = 0;
  let hi = 2;
  if (!retentionCertified(codes, 1e-9, delta)) return 0;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (retentionCertified(codes, mid, delta)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Packs pair codes four to a byte, base64, for the config. */
export function encodeCodes(codes: PairCodes): string {
  const bytes = new Uint8Array(Math.ceil(codes.length / 4));
  codes.forEach((c, i) => (bytes[i >> 2] |= (c & 3) << (2 * (i & 3))));
  return encodeBase64(bytes);
}

/** Unpacks `n` pair codes; a malformed or short string is an error naming the field. */
export function decodeCodes(text: string, n: number, where = 'regions[].evidence'): PairCodes {
  const raw = decodeBase64(text);
  if (!raw || raw.length < Math.ceil(n / 4)) throw new InvalidInputError(`evidence is not base64 of ${n} pair codes`, where);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (raw[i >> 2] >> (2 * (i & 3))) & 3;
  return out;
}

/**
 * The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9): the cost
 * bound's z. Written here because it is ten lines and the core takes no dependency for it.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability must be in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** One-sided upper bound on a mean cost (normal approximation: costs have no range known in advance). */
export function costUpperBound(mean: number, sd: number, n: number, delta: number): number {
  return n > 1 ? mean + normalQuantile(1 - delta) * (sd / Math.sqrt(n)) : Number.POSITIVE_INFINITY;
}
