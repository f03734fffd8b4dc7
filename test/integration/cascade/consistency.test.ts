import { beforeAll, describe, expect, it } from 'vitest';
import { candidatePlans } from '../../../core/cascade/candidates.js';
import { paretoLadder } from '../../../core/cascade/ladder.js';
import type { CascadeCaps } from '../../../core/cascade/plan.js';
import { simulatePlans } from '../../../core/cascade/simulate.js';
import { costMatrix } from '../../../core/cost.js';
import { buildWorkload, type Workload } from '../../../core/workload.js';
import { loadSharedFormat } from '../../../native-models/runlog/shared-format.js';

const DATA = '../shared/data/zeroeval-gsm8k-crux';
let w: Workload;
let cost: Float64Array;

beforeAll(async () => {
  const log = await loadSharedFormat(DATA);
  w = buildWorkload(log);
  cost = costMatrix(w, 'usd', { prices: log.prices });
}, 60_000);

// Any score works for this check: the fast candidate sums and the per-query simulation (which
// calls the serving-time `decide`) must agree plan by plan. A fixed pseudo-random score keeps it exact.
const score = (q: number, m: number) => ((Math.imul(q + 1, 2654435761) ^ Math.imul(m + 7, 40503)) >>> 0) % 1000 / 1000;

describe('candidate figures equal the per-query simulation', () => {
  for (const caps of [
    { maxEscalations: 2, maxTotalTokens: null },
    { maxEscalations: 1, maxTotalTokens: 600 },
  ] satisfies CascadeCaps[]) {
    it(`for every plan kind (caps ${JSON.stringify(caps)})`, () => {
      const rows = w.tasks.map((t, i) => (t === 'gsm8k' && i % 7 === 0 ? i : -1)).filter((i) => i >= 0);
      const clusterOf = new Int32Array(w.qids.length);
      const M = w.models.length;
      const stats = w.models.map((_, m) => {
        let r = 0;
        let c = 0;
        for (const q of rows) {
          r += w.correct[q * M + m];
          c += cost[q * M + m];
        }
        return { accuracy: r / rows.length, cost: c / rows.length };
      });
      const models = paretoLadder(stats);
      // Three folds, so the per-fold sums are checked too: their total must equal the whole.
      const fold = Int32Array.from(rows, (_, i) => i % 3);
      const candidates = candidatePlans(
        { w, rows, fold, folds: 3, models, cost, composition: 'sum', score, kind: 'numeric', caps, fallback: (m) => stats[m] },
        { thresholdsPerRung: 6 },
      );
      const kinds = new Set(candidates.map((c) => `${c.plan.action}${c.plan.action === 'cascade' ? c.plan.rungs.length : ''}`));
      expect([...kinds].sort()).toEqual(caps.maxEscalations >= 2 ? ['agree', 'answer', 'cascade2', 'cascade3'] : ['agree', 'answer', 'cascade2']);
      const total = (c: (typeof candidates)[number], k: number) => (c.sums[k] + c.sums[3 + k] + c.sums[6 + k]) / rows.length;
      for (const c of candidates.filter((_, i) => i % 5 === 0)) {
        const s = simulatePlans([c.plan], caps, { w, rows, clusterOf, cost, composition: 'sum', score, answerKinds: ['numeric'] });
        expect(s.accuracy).toBeCloseTo(total(c, 0), 12);
        expect(s.cost).toBeCloseTo(total(c, 1), 15);
        expect(s.escalationRate).toBeCloseTo(total(c, 2), 12);
        const inFold1 = rows.filter((_, i) => i % 3 === 1);
        const f1 = simulatePlans([c.plan], caps, { w, rows: inFold1, clusterOf, cost, composition: 'sum', score, answerKinds: ['numeric'] });
        expect(f1.accuracy).toBeCloseTo(c.sums[3] / inFold1.length, 12);
      }
    });
  }

  it('charges every pass: an escalated query costs more than either pass alone', () => {
    const q = 0;
    const a = w.models.indexOf('gemini-1.5-flash');
    const b = w.models.indexOf('o1-mini-2024-09-12');
    const s = simulatePlans([{ action: 'cascade', rungs: [w.models[a], w.models[b]], thresholds: [1] }], { maxEscalations: 1, maxTotalTokens: null }, {
      w, rows: [q], clusterOf: new Int32Array(w.qids.length), cost, composition: 'sum', score: () => 0.5, answerKinds: ['numeric'],
    });
    const M = w.models.length;
    expect(s.cost).toBeCloseTo(cost[q * M + a] + cost[q * M + b], 15);
    expect(s.escalationRate).toBe(1);
    const timed = simulatePlans([{ action: 'agree', model: w.models[a], partner: w.models[b], threshold: 0, escalateTo: w.models[b] }], { maxEscalations: 0, maxTotalTokens: null }, {
      w, rows: [q], clusterOf: new Int32Array(w.qids.length), cost, composition: 'sequential', score: () => 0.5, answerKinds: ['numeric'],
    });
    // Time metrics: the agreement pair runs together, so it costs the slower pass.
    expect(timed.cost).toBeCloseTo(Math.max(cost[q * M + a], cost[q * M + b]), 15);
  });
});
