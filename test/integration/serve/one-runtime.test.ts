// The request-time cascade exists once: `serve` (started from an in-memory source, as the app's
// Serve toggle starts it) and the app's Live path run the same router and runner, so for the same
// config, prompt and tier answers they decide the same. Both are fed the same scripted tiers: real
// cloud tiers in front of real OpenAI-compatible servers on 127.0.0.1, lent by one TierPool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../core/app-api.js';
import type { ClusterPlan } from '../../../core/cascade/plan.js';
import type { TunedConfig } from '../../../core/config.js';
import { PoolFileSchema } from '../../../core/pool.js';
import { trainQe, type LabelledAnswer } from '../../../core/qe/model.js';
import { TierPool } from '../../../native-models/tiers/pool.js';
import { runLive } from '../../../server/app/streams.js';
import { ConfigRejectedError } from '../../../server/serve/errors.js';
import { startServer } from '../../../server/serve/server.js';
import { start as startUpstream, type Upstream } from '../../helpers/openai-upstream.js';
import { cloudTier, simulatedConfig, withPlan } from '../../helpers/serve-harness.js';

let config: TunedConfig;
let models: string[];
let pool: TierPool;
const upstreams: Upstream[] = [];

const PROMPTS = ['What is 6 times 7?', 'def f(x): return x + 1\nassert f(?) == 3', 'Name the capital of France.'];

/** A labelled answer that is right when it says 42: the QE learns to doubt a 41. */
function labelled(i: number): LabelledAnswer {
  const right = i % 2 === 1;
  return {
    input: { query: `${PROMPTS[i % PROMPTS.length]} (${i})`, response: `The answer is ${right ? 42 : 41}.`, answer: right ? '42' : '41', model: models[i % 3], cluster: i % config.clusters.length },
    correct: right ? 1 : 0,
  };
}

// Two cheap tiers that say 41 (one unsure of itself, one sure) and a strong one that says 42.
beforeAll(async () => {
  const simulated = await simulatedConfig();
  models = simulated.pool.map((p) => p.model);
  config = simulated;
  // The simulated tune's QE scores every answer here 1: one trained on 41s and 42s tells them apart.
  const qe = trainQe(Array.from({ length: 80 }, (_, i) => labelled(i)), Array.from({ length: 80 }, (_, i) => labelled(i + 80)), models, simulated.clusters.length);
  config = { ...simulated, cascade: { ...simulated.cascade!, qe } };
  const script: [string, string, number][] = [['unsure', 'The answer is 41.', -2], ['sure', 'The answer is 41.', -0.01], ['strong', 'The answer is 42.', -0.05]];
  const tiers = [];
  for (const [i, [name, reply, tokenLogprob]] of script.entries()) {
    const up = await startUpstream({ reply, tokenLogprob, tokenDelayMs: 1 });
    upstreams.push(up);
    tiers.push(cloudTier(name, up.url, [models[i]]));
  }
  pool = TierPool.lazy({ file: 'pool', baseDir: process.cwd(), pool: PoolFileSchema.parse({ version: 1, tiers }) }, { env: {} });
}, 120_000); // tuning the simulated log takes a second alone, much longer on a loaded machine
afterAll(async () => {
  await pool?.dispose();
  await Promise.all(upstreams.map((u) => u.close()));
});

interface Decided {
  cluster: number | null;
  stage1: string;
  final: string;
  escalated: boolean;
  qe: string;
  /** Every tier that answered, sorted (the partner runs beside stage 1). */
  called: string[];
}

/** What serve decided, from its headers and the body's `cascade` field. */
async function viaServe(url: string, prompt: string): Promise<Decided> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'cascade', messages: [{ role: 'user', content: prompt }], max_tokens: 16, temperature: 0 }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { cascade: { passes: { tier: string }[] } };
  const h = (name: string) => res.headers.get(`x-cascade-${name}`)!;
  return { cluster: Number(h('cluster')), stage1: h('stage1'), final: h('final'), escalated: h('escalated') === 'true', qe: h('qe'), called: body.cascade.passes.map((p) => p.tier).sort() };
}

/** What the Live path decided, from its events. */
async function viaLive(routed: TunedConfig, prompt: string): Promise<Decided> {
  const events: AppEvent[] = [];
  await runLive({ streamId: 's', tiers: pool, config: routed, signal: new AbortController().signal, emit: (e) => events.push(e), done: () => undefined }, { prompt, maxTokens: 16, temperature: 0 });
  expect(events.filter((e) => e.type === 'stream.error')).toEqual([]);
  const starts = events.flatMap((e) => (e.type === 'live.passStart' ? [e] : []));
  const ends = events.flatMap((e) => (e.type === 'live.passEnd' ? [e] : []));
  const done = events.at(-1);
  if (done?.type !== 'live.done') throw new Error(`the Live stream ended with ${done?.type}`);
  const stage1 = starts.find((s) => s.role === 'stage1')!;
  const stage1End = ends.find((e) => e.pass === stage1.pass)!;
  return {
    cluster: stage1.cluster,
    stage1: stage1.tier,
    final: done.finalTier!,
    escalated: starts.some((s) => s.role === 'escalation'),
    qe: stage1End.qeScore === null ? 'none' : stage1End.qeScore.toFixed(4),
    called: ends.map((e) => e.tier).sort(),
  };
}

describe('one cascade runtime', () => {
  // Each plan names run-log models; the tiers stand for them: models[0] unsure, models[1] sure, models[2] strong.
  const plans: [string, () => ClusterPlan][] = [
    ['a one-model answer', () => ({ action: 'answer', model: models[1] })],
    ['a cascade that keeps every answer', () => ({ action: 'cascade', rungs: [models[0], models[2]], thresholds: [0] })],
    ['a cascade that escalates every answer', () => ({ action: 'cascade', rungs: [models[0], models[2]], thresholds: [1] })],
    ['a cascade at a threshold between', () => ({ action: 'cascade', rungs: [models[1], models[2]], thresholds: [0.5] })],
    ['an agreement plan whose two answers agree', () => ({ action: 'agree', model: models[0], partner: models[1], threshold: 0, escalateTo: models[2] })],
    ['an agreement plan that also holds the QE score to 0.5', () => ({ action: 'agree', model: models[0], partner: models[1], threshold: 0.5, escalateTo: models[2] })],
    ['an agreement plan whose two answers differ', () => ({ action: 'agree', model: models[0], partner: models[2], threshold: 0, escalateTo: models[2] })],
  ];

  it.each(plans)('serve and the Live path decide the same for %s', async (_name, plan) => {
    const routed = withPlan(config, plan());
    const server = await startServer({ source: { config: routed, pool }, watch: false });
    try {
      for (const prompt of PROMPTS) {
        const served = await viaServe(server.url, prompt);
        expect(await viaLive(routed, prompt)).toEqual(served);
      }
    } finally {
      await server.close();
    }
    // The server gave the lent tiers back untouched: the pool still answers.
    expect(pool.disposed).toBe(false);
    expect((await pool.acquire(['strong'])).get('strong')!.disposed).toBe(false);
  });

  it('escalation and agreement really differ between the plans, so agreeing on them means something', async () => {
    const [, keep] = plans[1];
    const [, escalate] = plans[2];
    const [, differ] = plans[6];
    const prompt = PROMPTS[0];
    const [, doubted] = plans[5];
    const kept = await viaLive(withPlan(config, keep()), prompt);
    const escalated = await viaLive(withPlan(config, escalate()), prompt);
    const disagreed = await viaLive(withPlan(config, differ()), prompt);
    expect(kept).toMatchObject({ stage1: 'unsure', final: 'unsure', escalated: false, called: ['unsure'] });
    expect(escalated).toMatchObject({ stage1: 'unsure', final: 'strong', escalated: true, called: ['strong', 'unsure'] });
    const doubtful = await viaLive(withPlan(config, doubted()), prompt);
    expect(Number(doubtful.qe)).toBeLessThan(0.5);
    expect(doubtful).toMatchObject({ stage1: 'unsure', final: 'strong', escalated: true, called: ['strong', 'sure', 'unsure'] });
    expect(disagreed).toMatchObject({ final: 'strong', escalated: true, called: ['strong', 'strong', 'unsure'] });
  });

  it('a plan that names a model no tier stands for: serve and the Live path refuse it alike, naming the model', async () => {
    const routed = withPlan(config, { action: 'cascade', rungs: [models[0], models[4]], thresholds: [0.5] });
    await expect(startServer({ source: { config: routed, pool }, watch: false })).rejects.toThrow(ConfigRejectedError);
    const events: AppEvent[] = [];
    await runLive({ streamId: 's', tiers: pool, config: routed, signal: new AbortController().signal, emit: (e) => events.push(e), done: () => undefined }, { prompt: PROMPTS[0] });
    expect(events).toEqual([{ type: 'stream.error', streamId: 's', tier: null, message: expect.stringContaining(`"${models[4]}", which no pool tier stands for`) }]);
  });
});
