import { describe, expect, it } from 'vitest';
import { ClusterPlanSchema, decide, firstModels, planModels, type CascadeCaps, type ClusterPlan } from '../../../core/cascade/plan.js';

const caps: CascadeCaps = { maxEscalations: 2, maxTotalTokens: null };
const ladder: ClusterPlan = { action: 'cascade', rungs: ['s', 'm', 'l'], thresholds: [0.8, 0.6] };
const agree: ClusterPlan = { action: 'agree', model: 'a', partner: 'b', threshold: 0.5, escalateTo: 'l' };

describe('decide', () => {
  it('keeps a one-model answer', () => {
    expect(decide({ action: 'answer', model: 'x' }, caps, { step: 0, tokensSoFar: 10 })).toEqual({ kind: 'accept', reason: 'final' });
    expect(firstModels({ action: 'answer', model: 'x' })).toEqual(['x']);
  });

  it('climbs the ladder while the QE score is below each rung threshold', () => {
    expect(decide(ladder, caps, { step: 0, qe: 0.9, tokensSoFar: 0 })).toEqual({ kind: 'accept', reason: 'confident' });
    expect(decide(ladder, caps, { step: 0, qe: 0.8, tokensSoFar: 0 })).toEqual({ kind: 'accept', reason: 'confident' });
    expect(decide(ladder, caps, { step: 0, qe: 0.79, tokensSoFar: 0 })).toEqual({ kind: 'escalate', model: 'm', reason: 'doubtful' });
    expect(decide(ladder, caps, { step: 1, qe: 0.59, tokensSoFar: 0 })).toEqual({ kind: 'escalate', model: 'l', reason: 'doubtful' });
    expect(decide(ladder, caps, { step: 2, tokensSoFar: 0 })).toEqual({ kind: 'accept', reason: 'final' });
    expect(planModels(ladder)).toEqual(['s', 'm', 'l']);
  });

  it('stops at the escalation cap and at the token cap', () => {
    expect(decide(ladder, { maxEscalations: 1, maxTotalTokens: null }, { step: 1, qe: 0.1, tokensSoFar: 0 })).toEqual({ kind: 'accept', reason: 'cap' });
    expect(decide(ladder, { maxEscalations: 2, maxTotalTokens: 100 }, { step: 0, qe: 0.1, tokensSoFar: 100 })).toEqual({ kind: 'accept', reason: 'cap' });
    expect(decide(ladder, { maxEscalations: 2, maxTotalTokens: 100 }, { step: 0, qe: 0.1, tokensSoFar: 99 }).kind).toBe('escalate');
  });

  it('accepts agreeing confident answers and escalates the rest', () => {
    expect(firstModels(agree)).toEqual(['a', 'b']);
    expect(decide(agree, caps, { step: 0, agree: true, qe: 0.7, tokensSoFar: 0 })).toEqual({ kind: 'accept', reason: 'agreed' });
    expect(decide(agree, caps, { step: 0, agree: true, qe: 0.4, tokensSoFar: 0 })).toEqual({ kind: 'escalate', model: 'l', reason: 'doubtful' });
    expect(decide(agree, caps, { step: 0, agree: false, qe: 0.99, tokensSoFar: 0 })).toEqual({ kind: 'escalate', model: 'l', reason: 'disagreed' });
    expect(decide({ ...agree, threshold: 0 }, caps, { step: 0, agree: true, tokensSoFar: 0 }).kind).toBe('accept');
    expect(decide(agree, caps, { step: 1, tokensSoFar: 0 })).toEqual({ kind: 'accept', reason: 'final' });
  });

  it('names missing evidence instead of guessing', () => {
    expect(() => decide(ladder, caps, { step: 0, tokensSoFar: 0 })).toThrow(/cascade step 0: a QE score in \[0, 1\] is required/);
    expect(() => decide(agree, caps, { step: 0, qe: 0.9, tokensSoFar: 0 })).toThrow(/agree step 0: whether the two answers agree/);
    expect(() => decide(ladder, caps, { step: 0, qe: 1.5, tokensSoFar: 0 })).toThrow(/got 1.5/);
  });

  it('rejects a plan with an out-of-range threshold in a config', () => {
    const parsed = ClusterPlanSchema.safeParse({ action: 'cascade', rungs: ['a', 'b'], thresholds: [1.2] });
    expect(parsed.success).toBe(false);
  });
});
