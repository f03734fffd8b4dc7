import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AppClient } from '../../../core/app-api.js';
import { planModels } from '../../../core/cascade/plan.js';
import { parseTunedConfig, type TunedConfig } from '../../../core/config.js';
import { startAppServer, type AppServer } from '../../../server/app/app-server.js';
import { createHttpClient } from '../../../renderer/api/http-client.js';
import { liveEvents } from '../../helpers/live-events.js';
import { start as startUpstream, type Upstream } from '../../helpers/openai-upstream.js';

// The engine's promise end to end: the operating point set through the app API is what `serve` (after
// its reload) and the Live path route by, and the Budget view shows the region's stored figures.
const SIMULATED = path.resolve('fixtures/simulated');

let server: AppServer;
let api: AppClient;
let upstream: Upstream;
let runsDir: string;
let config: TunedConfig;

beforeAll(async () => {
  runsDir = await mkdtemp(path.join(tmpdir(), 'cascade-lab-op-'));
  upstream = await startUpstream({ reply: 'The answer is 4.' });
  server = await startAppServer({ port: 0, dataDirs: [], initialDataSet: null, simulatedDir: null, runsDir });
  api = createHttpClient({ baseUrl: server.origin, token: server.token, WebSocket: WebSocket as never, reconnectMs: 50 });
  const ws = await api.loadWorkspace({ kind: 'path', path: SIMULATED });
  await api.tune({ k: 2 });
  config = parseTunedConfig(JSON.parse((await api.exportConfig()).text), 'exported config');
  // One cloud tier per run-log model, named after it: the tier that answers shows which model a plan called.
  await api.setPool({
    version: 1,
    tiers: ws.models.map(({ model }) => ({ kind: 'cloud' as const, name: model, baseUrl: upstream.url, model, usdPerMtokIn: 1, usdPerMtokOut: 1, concurrency: 2, timeoutMs: 5000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 16, stop: [] } })),
  });
}, 300_000);

afterAll(async () => {
  await api?.stopServe().catch(() => undefined);
  await server?.close();
  await upstream?.close();
  await rm(runsDir, { recursive: true, force: true });
});

/** Two frontier regions whose plans for some cluster start on different models. */
function twoRegions(): { a: number; b: number; cluster: number } {
  const frontier = config.regions.map((r, i) => ({ r, i })).filter((x) => x.r.kind === 'frontier');
  for (const x of frontier) {
    for (const y of frontier) {
      const c = x.r.plans.findIndex((p, k) => planModels(p)[0] !== planModels(y.r.plans[k])[0]);
      if (c >= 0) return { a: x.i, b: y.i, cluster: c };
    }
  }
  throw new Error('no two regions differ in a first model');
}

/** A prompt of the workspace that routes to `cluster`, found through serve's own answer headers. */
async function ask(url: string, prompt: string): Promise<{ cluster: number; stage1: string }> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'cascade', messages: [{ role: 'user', content: prompt }] }) });
  expect(res.status).toBe(200);
  await res.json();
  return { cluster: Number(res.headers.get('x-cascade-cluster')), stage1: res.headers.get('x-cascade-stage1')! };
}

async function liveFirstTier(prompt: string): Promise<string> {
  const { events } = await liveEvents(api, { prompt, maxTokens: 16 });
  expect(events.find((e) => e.type === 'stream.error')).toBeUndefined();
  const start = events.find((e) => e.type === 'live.passStart');
  return start?.type === 'live.passStart' ? start.tier : '';
}

describe('the operating point set in the app is what serve and the Live path run', () => {
  it('routes by the new region\'s plans after a move, in serve and in Live, and the Budget view shows the region\'s stored figures', async () => {
    const { a, b, cluster } = twoRegions();
    const prompts = (await api.listTraces({ cluster, limit: 5 })).rows.map((r) => r.qid);
    expect(prompts.length).toBeGreaterThan(0);
    const prompt = (await api.getTrace({ qid: prompts[0] })).prompt;

    for (const region of [a, b]) {
      const r = config.regions[region];
      const set = await api.setOperatingPoint({ lambda: r.lambdaFrom });
      expect(set.region).toBe(region);
      expect(set.plans).toHaveLength(config.clusters.length);
      const budget = await api.getBudget();
      // The Budget view's figures are the region's stored (cross-fitted) figures, escalation included.
      expect(budget.current.expected.accuracy).toBe(r.expected.accuracy);
      expect(budget.current.expected.escalationRate).toBe(r.expected.escalationRate);
      expect(budget.current.expected.retentionLower).toBe(r.expected.retentionLower);
      const exported = parseTunedConfig(JSON.parse((await api.exportConfig()).text), 'exported config');
      expect(exported.operatingPoint.region).toBe(region);

      const serving = await api.startServe({ port: 0 });
      try {
        const answer = await ask(serving.url!, prompt);
        expect(answer.cluster).toBe(cluster);
        expect(answer.stage1).toBe(planModels(r.plans[cluster])[0]);
      } finally {
        await api.stopServe();
      }
      expect(await liveFirstTier(prompt)).toBe(planModels(r.plans[cluster])[0]);
    }
  }, 300_000);
});
