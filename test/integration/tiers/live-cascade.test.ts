import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterPlan } from '../../../core/cascade/plan.js';
import { BuiltinEmbedder } from '../../../core/embed/tfidf.js';
import { CloudTierSpecSchema } from '../../../core/pool.js';
import type { Tier } from '../../../core/tier.js';
import { runLiveCascade, type CascadePolicy, type LiveCascadeEvent } from '../../../native-models/live-cascade.js';
import { CloudTier } from '../../../native-models/tiers/cloud-tier.js';
import { start, type Upstream } from '../../helpers/openai-upstream.js';

// Three real tiers behind real OpenAI-compatible servers: two cheap ones that say 41 (one
// unsure, one sure of itself) and a strong one that says 42.
let servers: Upstream[] = [];
const tiers = new Map<string, Tier>();

const MATH = ['What is 6 times 7?', 'Add 40 and 2.', 'How many apples are left if you eat 3 of 45?'];
const CODE = ['def f(x): return x + 1\nassert f(?) == 3', 'def g(s): return s[::-1]\nassert g(?) == "ba"'];

let embedder: BuiltinEmbedder;
let centroids: Float32Array[];

function mean(vs: Float32Array[]): Float32Array {
  const out = new Float32Array(vs[0].length);
  for (const v of vs) for (let i = 0; i < out.length; i++) out[i] += v[i] / vs.length;
  return out;
}

/** A policy whose steps are the real built-in embedder and a nearest-centroid route; the QE reads the answer's mean log-probability. */
function policy(plans: ClusterPlan[]): CascadePolicy {
  return {
    embed: (q) => embedder.embedOne(q),
    route: (e) => {
      const dist = centroids.map((c) => c.reduce((s, x, i) => s + (x - e[i]) ** 2, 0));
      const cluster = dist[0] <= dist[1] ? 0 : 1;
      return { cluster, plan: plans[cluster] };
    },
    score: (input) => Math.exp(input.logprobs?.mean ?? -10),
    answerKind: (cluster) => (cluster === 0 ? 'numeric' : 'text'),
    caps: { maxEscalations: 2, maxTotalTokens: null },
  };
}

beforeAll(async () => {
  embedder = BuiltinEmbedder.fit([...MATH, ...CODE], { dimensions: 32 });
  centroids = [mean(MATH.map((q) => embedder.embedOne(q))), mean(CODE.map((q) => embedder.embedOne(q)))];
  const make = async (name: string, reply: string, tokenLogprob: number, price: number) => {
    const up = await start({ reply, tokenLogprob, tokenDelayMs: 2 });
    servers.push(up);
    tiers.set(name, await CloudTier.create(CloudTierSpecSchema.parse({ kind: 'cloud', name, baseUrl: up.url, model: name, usdPerMtokIn: price, usdPerMtokOut: price })));
  };
  await make('cheap-unsure', 'The answer is 41.', -2, 0.1);
  await make('cheap-sure', 'The answer is 41.', -0.01, 0.1);
  await make('strong', 'The answer is 42.', -0.05, 10);
});
afterAll(async () => {
  await Promise.all([...tiers.values()].map((t) => t.dispose()));
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const tierFor = (model: string) => tiers.get(model)!;

describe('the live cascade', () => {
  it('routes, streams stage 1, scores it, and escalates a doubtful answer to the next rung', async () => {
    const plans: ClusterPlan[] = [{ action: 'cascade', rungs: ['cheap-unsure', 'strong'], thresholds: [0.5] }, { action: 'answer', model: 'strong' }];
    const events: LiveCascadeEvent[] = [];
    const trace = await runLiveCascade('What is 6 times 7?', policy(plans), { tierFor, onEvent: (e) => events.push(e) });
    expect(trace.cluster).toBe(0);
    expect(trace.plan).toBe('cascade');
    expect(trace.stage1Tier).toBe('cheap-unsure');
    expect(trace.qe).toBeCloseTo(Math.exp(-2), 9);
    expect(trace.threshold).toBe(0.5);
    expect(trace.escalated).toBe(true);
    expect(trace.finalTier).toBe('strong');
    expect(trace.text).toBe('The answer is 42.');
    expect(trace.decision).toEqual({ kind: 'accept', reason: 'final' });
    expect(trace.passes.map((p) => [p.role, p.tier, p.answer])).toEqual([['stage1', 'cheap-unsure', '41'], ['escalation', 'strong', '42']]);
    for (const p of trace.passes) {
      expect(p.result.ttftMs).toBeGreaterThan(0);
      expect(p.result.tpotMs).toBeGreaterThan(0);
      expect(p.result.outputTokens).toBe(4);
    }
    expect(trace.costUsd).toBeCloseTo(trace.passes[0].result.costUsd + trace.passes[1].result.costUsd, 15);
    expect(trace.outputTokens).toBe(8);
    expect(trace.overheadMs.total).toBeGreaterThan(0);
    expect(trace.overheadMs.total).toBeLessThan(trace.totalMs);
    // Events: routed, stage-1 tokens, its pass, the escalate decision, the escalation's tokens, its pass, accept, done.
    const kinds = events.map((e) => (e.type === 'token' ? `token:${e.step}` : e.type === 'decision' ? `decision:${e.decision.kind}` : e.type));
    expect(kinds).toEqual(['routed', 'token:0', 'token:0', 'token:0', 'token:0', 'pass', 'decision:escalate', 'token:1', 'token:1', 'token:1', 'token:1', 'pass', 'decision:accept', 'done']);
  });

  it('keeps a confident stage-1 answer', async () => {
    const plans: ClusterPlan[] = [{ action: 'cascade', rungs: ['cheap-sure', 'strong'], thresholds: [0.5] }, { action: 'answer', model: 'strong' }];
    const trace = await runLiveCascade('Add 40 and 2.', policy(plans), { tierFor });
    expect(trace.escalated).toBe(false);
    expect(trace.finalTier).toBe('cheap-sure');
    expect(trace.decision).toEqual({ kind: 'accept', reason: 'confident' });
    expect(trace.passes).toHaveLength(1);
  });

  it('routes another cluster to its own plan', async () => {
    const plans: ClusterPlan[] = [{ action: 'answer', model: 'cheap-sure' }, { action: 'answer', model: 'strong' }];
    const trace = await runLiveCascade('def h(x): return x * 2\nassert h(?) == 4', policy(plans), { tierFor });
    expect(trace.cluster).toBe(1);
    expect(trace.finalTier).toBe('strong');
    expect(trace.threshold).toBeNull();
  });

  it('agreement plans run both cheap tiers together and escalate when they disagree', async () => {
    const agreeing: ClusterPlan[] = [{ action: 'agree', model: 'cheap-unsure', partner: 'cheap-sure', threshold: 0, escalateTo: 'strong' }, { action: 'answer', model: 'strong' }];
    const kept = await runLiveCascade('What is 6 times 7?', policy(agreeing), { tierFor });
    expect(kept.agree).toBe(true);
    expect(kept.escalated).toBe(false);
    expect(kept.passes.map((p) => p.role)).toEqual(['stage1', 'partner']);
    const disagreeing: ClusterPlan[] = [{ action: 'agree', model: 'cheap-unsure', partner: 'strong', threshold: 0, escalateTo: 'strong' }, { action: 'answer', model: 'strong' }];
    const escalated = await runLiveCascade('What is 6 times 7?', policy(disagreeing), { tierFor });
    expect(escalated.agree).toBe(false);
    expect(escalated.decision).toEqual({ kind: 'accept', reason: 'final' });
    expect(escalated.passes.map((p) => p.role)).toEqual(['stage1', 'partner', 'escalation']);
    expect(escalated.finalTier).toBe('strong');
  });

  it('an aborted stage 1 is not escalated', async () => {
    const plans: ClusterPlan[] = [{ action: 'cascade', rungs: ['cheap-unsure', 'strong'], thresholds: [0.99] }, { action: 'answer', model: 'strong' }];
    const controller = new AbortController();
    const trace = await runLiveCascade('What is 6 times 7?', policy(plans), {
      tierFor,
      signal: controller.signal,
      onEvent: (e) => { if (e.type === 'token') controller.abort(); },
    });
    expect(trace.passes).toHaveLength(1);
    expect(trace.passes[0].result.stopReason).toBe('abort');
    expect(trace.escalated).toBe(false);
  });
});
