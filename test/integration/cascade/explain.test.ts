import { beforeAll, describe, expect, it } from 'vitest';
import { explainQuery, traceSummary } from '../../../core/cascade/explain.js';
import { decide, type CascadeCaps, type ClusterPlan } from '../../../core/cascade/plan.js';
import { simulateQuery, type SimulationInput } from '../../../core/cascade/simulate.js';
import { costMatrix } from '../../../core/cost.js';
import { buildWorkload, type Workload } from '../../../core/workload.js';
import { loadSharedFormat } from '../../../native-models/runlog/shared-format.js';
import { evidence } from '../../helpers/trace-replay.js';

const DATA = '../shared/data/zeroeval-gsm8k-crux';
let w: Workload;
let input: SimulationInput;
let rows: number[];
const score = (q: number, m: number) => ((Math.imul(q + 1, 2654435761) ^ Math.imul(m + 7, 40503)) >>> 0) % 1000 / 1000;

beforeAll(async () => {
  const log = await loadSharedFormat(DATA);
  w = buildWorkload(log);
  rows = w.qids.map((_, i) => i).filter((i) => i % 11 === 0);
  input = { w, rows, clusterOf: new Int32Array(w.qids.length), cost: costMatrix(w, 'usd', { prices: log.prices }), composition: 'sum', score, answerKinds: ['numeric'] };
}, 60_000);

describe('a query explained pass by pass', () => {
  const caps: CascadeCaps = { maxEscalations: 2, maxTotalTokens: null };
  const plans = (): ClusterPlan[] => {
    const [a, b, c] = w.models;
    return [
      { action: 'answer', model: a },
      { action: 'cascade', rungs: [a, b, c], thresholds: [0.5, 0.4] },
      { action: 'agree', model: a, partner: b, threshold: 0.3, escalateTo: c },
    ];
  };

  it('has the outcome of the simulation, and passes and a reason that `decide` gives again from the passes alone', () => {
    const reasons = new Set<string>();
    for (const plan of plans()) {
      for (const q of rows) {
        const e = explainQuery(q, plan, caps, input);
        expect(e.outcome).toEqual(simulateQuery(q, plan, caps, input));
        if (e.outcome.correct === -1) continue;
        reasons.add(e.reason);
        // Replay: the first pass (pair), then each escalation, through the serving-time decision.
        const steps = e.passes.filter((p) => p.role !== 'partner');
        let decision = decide(plan, caps, evidence(steps[0], 0));
        for (let s = 1; s < steps.length; s++) {
          expect(decision.kind).toBe('escalate');
          expect(decision.kind === 'escalate' && decision.model).toBe(steps[s].model);
          decision = decide(plan, caps, evidence(steps[s], s));
        }
        expect(decision.kind).toBe('accept');
        expect(decision.reason).toBe(e.reason);
        expect(e.passes[e.passes.length - 1].model === w.models[e.outcome.finalModel] || plan.action === 'agree').toBe(true);
        expect(e.partner).toBe(plan.action === 'agree' ? plan.partner : null);
      }
    }
    // A query ends on an accept; the escalations before it ('doubtful', 'disagreed') are in its rule.
    expect([...reasons].sort()).toEqual(['agreed', 'confident', 'final']);
  });

  it('says the rule in words, with the numbers it compared', () => {
    const [, cascade, agree] = plans();
    const q = rows.find((r) => explainQuery(r, cascade, caps, input).reason === 'confident' && explainQuery(r, cascade, caps, input).passes.length === 1)!;
    const kept = explainQuery(q, cascade, caps, input);
    expect(kept.rule).toBe(`QE ${kept.passes[0].qeScore!.toFixed(2)} ≥ threshold 0.50: ${w.models[0]}'s answer is kept`);
    expect(traceSummary(kept)).toBe(`cascade: ${kept.rule}`);
    const split = rows.map((r) => explainQuery(r, agree, caps, input)).find((e) => e.reason === 'final' && e.passes[0].agree === false)!;
    expect(split.rule).toMatch(new RegExp(`^${w.models[0]} and ${w.models[1]} disagree: escalated to ${w.models[2]}; then last model of the plan`));
    expect(traceSummary(split)).toMatch(new RegExp(`^agree-or-escalate \\(partner ${w.models[1]}\\): `));
  });
});
