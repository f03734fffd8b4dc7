// The AppApi for real over the HTTP + WebSocket bridge on 127.0.0.1: access control, then
// load → tune → budget → export on the shared data, through the renderer's own HTTP client.
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { APP_API_CONTRACT, AppApiError, type AppClient, type AppEvent, type RunInfo } from '../../../core/app-api.js';
import { parseTunedConfig, repickOperatingPoint } from '../../../core/config.js';
import { startAppServer, type AppServer } from '../../../server/app/app-server.js';
import { regionForBudget } from '../../../renderer/store/operating-point.js';
import { bridgeClient } from '../../helpers/bridge-client.js';
import { start as startUpstream, type Upstream } from '../../helpers/openai-upstream.js';

const DATA = '../shared/data';
const DATA_SET = 'shared:zeroeval-gsm8k-crux';

/** A raw request with full control of Host and Origin (fetch forbids setting Host). */
function raw(server: AppServer, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path, method: body === '' && !path.startsWith('/api/') ? 'GET' : 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function wsOutcome(url: string, headers: Record<string, string> = {}): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

describe('HTTP bridge', () => {
  let server: AppServer;
  let api: AppClient;
  let runsDir: string;

  beforeAll(async () => {
    runsDir = await mkdtemp(join(tmpdir(), 'cascade-lab-test-runs-'));
    server = await startAppServer({ port: 0, dataDirs: [DATA], initialDataSet: null, simulatedDir: null, runsDir });
    api = bridgeClient(server);
  });

  /** The shared data loaded and tuned with k = 3, unless it already is: each test that needs it says so, and runs alone as well as after the others. */
  const tuned = async () => {
    const state = await api.getState();
    if (state.tune?.k === 3 && state.workspace?.source.endsWith('zeroeval-gsm8k-crux')) return;
    await api.loadWorkspace({ kind: 'dataset', id: DATA_SET });
    await api.tune({ k: 3 });
  };

  /**
   * Subscribes to the event socket and resolves once it is open, which its first event proves: a
   * throwaway compare on `tier` is started until its end comes through. Its events are not passed on.
   */
  async function subscribed(tier: string, onEvent: (e: AppEvent) => void): Promise<() => void> {
    const probes = new Set<string>();
    let open = false;
    const stop = api.subscribe((e) => {
      if ('streamId' in e && probes.has(e.streamId)) open ||= e.type === 'compare.done';
      else onEvent(e);
    });
    for (let tries = 0; !open && tries < 20; tries++) {
      probes.add((await api.startCompare({ prompt: 'ping', tiers: [tier], maxTokens: 1 })).streamId);
      for (const until = Date.now() + 500; !open && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
    }
    if (!open) throw new Error('the event socket never opened');
    return stop;
  }
  afterAll(async () => {
    await server?.close();
    await rm(runsDir, { recursive: true, force: true });
  });

  describe('access control', () => {
    const json = { 'content-type': 'application/json' };

    it('binds loopback and prints a URL that carries a long random token', () => {
      expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.url).toBe(`${server.origin}/?token=${server.token}`);
      expect(server.token.length).toBeGreaterThanOrEqual(40);
    });

    it('answers 401 to a call without the token, or with a wrong one', async () => {
      expect((await raw(server, '/api/getState', { ...json, host: `127.0.0.1:${server.port}` })).status).toBe(401);
      const wrong = await raw(server, '/api/getState', { ...json, host: `127.0.0.1:${server.port}`, authorization: `Bearer ${server.token.slice(1)}x` });
      expect(wrong.status).toBe(401);
      expect(JSON.parse(wrong.body).error.message).toMatch(/token/);
    });

    it('answers 403 to a foreign Origin even with the right token', async () => {
      const res = await raw(server, '/api/getState', { ...json, host: `127.0.0.1:${server.port}`, origin: 'http://evil.example', authorization: `Bearer ${server.token}` });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).error.message).toMatch(/Origin "http:\/\/evil\.example"/);
    });

    it('answers 403 to a foreign Host (a DNS-rebound name) even with the right token', async () => {
      const res = await raw(server, '/api/getState', { ...json, host: `attacker.example:${server.port}`, authorization: `Bearer ${server.token}` });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).error.message).toMatch(/Host "attacker\.example/);
    });

    it('accepts its own origin, and refuses a non-JSON body (no simple cross-site form posts)', async () => {
      const ok = await raw(server, '/api/getState', { ...json, host: `localhost:${server.port}`, origin: `http://localhost:${server.port}`, authorization: `Bearer ${server.token}` });
      expect(ok.status).toBe(200);
      const form = await raw(server, '/api/getState', { 'content-type': 'text/plain', host: `127.0.0.1:${server.port}`, authorization: `Bearer ${server.token}` });
      expect(form.status).toBe(415);
    });

    it('trades the token in the URL for an HttpOnly SameSite=Strict cookie that then authorises calls', async () => {
      const page = await raw(server, `/?token=${server.token}`, { host: `127.0.0.1:${server.port}` });
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe('/');
      const cookie = String(page.headers['set-cookie']);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      const call = await raw(server, '/api/getState', { ...json, host: `127.0.0.1:${server.port}`, cookie: cookie.split(';')[0] });
      expect(call.status).toBe(200);
      expect(JSON.parse(call.body).value.apiVersion).toBe(1);
    });

    it('guards the event socket the same way', async () => {
      const ws = `ws://127.0.0.1:${server.port}/api/events`;
      expect(await wsOutcome(ws)).toBe(401);
      expect(await wsOutcome(`${ws}?token=${server.token}`, { origin: 'http://evil.example' })).toBe(403);
      expect(await wsOutcome(`${ws}?token=${server.token}`, { origin: server.origin })).toBe('open');
    });

    it('refuses a method off the allow-list with 404 and a bad payload with 400 naming the field', async () => {
      const auth = { ...json, host: `127.0.0.1:${server.port}`, authorization: `Bearer ${server.token}` };
      expect((await raw(server, '/api/constructor', auth, '{}')).status).toBe(404);
      const bad = await raw(server, '/api/tune', auth, JSON.stringify({ k: 0 }));
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body).error.message).toMatch(/tune request: field "k"/);
    });
  });

  describe('the AppApi through the renderer HTTP client', () => {
    it('lists the shared data set and says a call needs a workspace first', async () => {
      // A server of its own, which has loaded nothing whatever the other tests did.
      const empty = await startAppServer({ port: 0, dataDirs: [DATA], initialDataSet: null, simulatedDir: null, runsDir });
      try {
        const fresh = bridgeClient(empty);
        const sets = await fresh.listDataSets();
        expect(sets.map((s) => s.id)).toContain(DATA_SET);
        expect(sets.find((s) => s.id === DATA_SET)?.simulated).toBe(false);
        await expect(fresh.tune({ k: 2 })).rejects.toThrow(/no workspace is loaded/);
        await expect(fresh.loadWorkspace({ kind: 'dataset', id: 'nope' })).rejects.toThrow(/no data set "nope"/);
      } finally {
        await empty.close();
      }
    });

    it('loads the shared data, tunes, moves the operating point as the engine says, and exports a config that parses', async () => {
      const ws = await api.loadWorkspace({ kind: 'dataset', id: DATA_SET });
      expect(ws.queries).toBe(2119);
      expect(ws.models).toHaveLength(18);
      expect(ws.simulated).toBe(false);
      expect(ws.costUnit).toBe('USD');

      // The tune runs off the event loop: pages and calls are answered while it works, and a second caller joins it.
      const tuning = api.tune({ k: 3 });
      // Answered before the tune ends (a blocked event loop would answer only after it).
      const state = api.getState();
      expect(await Promise.race([state.then(() => 'state'), tuning.then(() => 'tune')])).toBe('state');
      const during = await state;
      expect(during.tuning).toEqual({ k: 3 });
      expect(during.tune).toBeNull();
      const page = await raw(server, '/', { host: `127.0.0.1:${server.port}`, authorization: `Bearer ${server.token}` });
      expect(page.status).toBe(404); // answered (this server has no renderer build), not stalled
      const [report, joined] = await Promise.all([tuning, api.tune({ k: 3 })]);
      expect(joined).toEqual(report);
      expect((await api.getState()).tuning).toBeNull();
      expect(report.k).toBe(3);
      expect(report.kMode).toBe('fixed');
      expect(report.trainQueries + report.testQueries).toBe(2119);
      const policies = report.evaluation.map((r) => r.policy);
      expect(policies).toEqual(expect.arrayContaining(['system', 'stage1', 'oracle', 'random']));

      const budget = await api.getBudget();
      expect(budget.regions.length).toBeGreaterThan(1);
      const config = parseTunedConfig(JSON.parse((await api.exportConfig()).text), 'exported config');

      const dear = await api.setOperatingPoint({ lambda: 0 });
      const lastFrom = budget.regions[budget.regions.length - 1].lambdaFrom;
      const cheap = await api.setOperatingPoint({ lambda: lastFrom + 1 });
      expect(dear.region).toBe(repickOperatingPoint(config, { kind: 'lambda', lambda: 0 }).region);
      expect(cheap.region).toBe(repickOperatingPoint(config, { kind: 'lambda', lambda: lastFrom + 1 }).region);
      expect(cheap.region).not.toBe(dear.region);
      expect(cheap.costPerQuery).toBeLessThan(dear.costPerQuery);
      expect(cheap.routing).toEqual(budget.regions[cheap.region].routing);

      expect(budget.regions.map((r) => r.expected.costPerQuery)).toEqual(config.regions.map((r) => r.expected.cost));
      // The Budget view shows the served system, stage 2 included: the same figures as the report's system row.
      const system = report.evaluation.find((r) => r.policy === 'system')!;
      expect(budget.current.accuracy).toBe(system.accuracy);
      expect(budget.current.escalationRate).toBe(system.escalationRate);
      expect(budget.regions.some((r) => (r.escalationRate ?? 0) > 0)).toBe(true);
      const mid = budget.regions[Math.floor(budget.regions.length / 2)].expected.costBound;
      const byBudget = await api.setOperatingPoint({ budget: mid });
      expect(byBudget.region).toBe(repickOperatingPoint(config, { kind: 'budget', budget: mid }).region);
      expect(byBudget.budget).toBe(mid);
      expect(byBudget.routing).toEqual(budget.regions[byBudget.region].routing);
      await expect(api.setOperatingPoint({ budget: 0 })).rejects.toThrow(/below the cheapest region's cost bound/);
      // The renderer's instant pick, from the view alone, agrees with the engine at every region's cost bound and between them.
      const costs = budget.regions.filter((r) => r.kind === 'frontier').map((r) => r.expected.costBound).sort((a, b) => a - b);
      for (const cap of [...costs, ...costs.slice(1).map((c, i) => (c + costs[i]) / 2)]) {
        expect(regionForBudget(budget, cap), `budget ${cap}`).toBe((await api.setOperatingPoint({ budget: cap })).region);
      }
      await api.setOperatingPoint({ budget: mid });

      const exported = parseTunedConfig(JSON.parse((await api.exportConfig()).text), 'exported config');
      expect(exported.operatingPoint.region).toBe(byBudget.region);
    }, 180_000); // loading and tuning 2119 queries × 18 models takes ~10 s alone, several times that on a busy 2-core machine

    it('serves the views of the tune: routing table, cluster map, traces', async () => {
      await tuned();
      const table = await api.getRoutingTable();
      expect(table.clusters).toHaveLength(3);
      for (const c of table.clusters) {
        expect(c.cells).toHaveLength(table.models.length);
        expect(table.models).toContain(c.chosen);
        expect(c.cells[table.models.indexOf(c.chosen)].dominated).toBe(false);
      }
      for (const c of table.clusters) {
        // The tuner's compared plans come with the tune; the served one is among them (no threshold was set by hand).
        expect(c.candidates!.compared).toBeGreaterThanOrEqual(c.candidates!.shown.length);
        expect(c.candidates!.shown.filter((p) => p.kind === 'answer').length).toBeGreaterThan(1);
        expect(c.candidates!.shown[c.candidates!.served!].plan).toBe(c.plan);
        expect(c.planModels[0]).toBe(c.chosen);
        expect(c.testSize).toBe((await api.listTraces({ cluster: c.cluster, limit: 1 })).total);
      }
      const map = await api.getClusterMap({ projection: 'pca' });
      expect(map.points).toHaveLength(2119);
      expect(new Set(map.points.map((p) => p.cluster)).size).toBe(3);
      expect(map.axes[0].name).toBe('PC 1');
      const lda = await api.getClusterMap({ projection: 'lda' });
      expect(lda.axes.map((a) => a.name)).toEqual(['LD 1', 'LD 2']);
      expect(lda.axes[0].meaning).toMatch(/between-cluster ÷ within-cluster variance/);
      const page = await api.listTraces({ limit: 5 });
      expect(page.rows).toHaveLength(5);
      const wrong = await api.listTraces({ correct: false, limit: 1 });
      expect(wrong.rows[0].correct).toBe(false);
      for (const row of page.rows) {
        expect(row.passes[0].model).toBe(row.stage1Model);
        expect(row.rule.length).toBeGreaterThan(10);
      }
      const detail = await api.getTrace({ qid: page.rows[0].qid });
      expect(detail.answers).toHaveLength(18);
      expect(detail.row.qid).toBe(page.rows[0].qid);
      await expect(api.getTrace({ qid: 'gsm8k/no-such' })).rejects.toThrow(/no query "gsm8k\/no-such"/);
    });

    it('shows the QE on the test split and escalates more when the threshold rises', async () => {
      await tuned();
      // Serve a region whose plans threshold a QE score: the tuned point may serve single models.
      const regions = parseTunedConfig(JSON.parse((await api.exportConfig()).text), 'exported config').regions;
      const gate = regions.find((r) => r.kind === 'frontier' && r.plans.some((p) => p.action === 'cascade'))!;
      expect(gate).toBeDefined();
      await api.setOperatingPoint({ lambda: gate.lambdaFrom });
      const qe = await api.getQe();
      const testQueries = (await api.listTraces({ limit: 1 })).total;
      expect(qe.auroc).toBeGreaterThan(0.6);
      expect(qe.auroc).toBeLessThanOrEqual(1);
      for (const m of qe.models) {
        const counted = [...m.histogram.correct, ...m.histogram.incorrect].reduce((a, b) => a + b, 0);
        expect(counted).toBeLessThanOrEqual(testQueries);
        expect(m.histogram.edges).toHaveLength(m.histogram.correct.length + 1);
      }
      const gated = qe.models.find((m) => m.threshold !== null);
      expect(gated).toBeDefined();
      const before = (await api.listTraces({ escalated: true, limit: 1 })).total;
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(testQueries);
      const after = await api.setQeThreshold({ threshold: 1 });
      expect(after.qe.models.find((m) => m.model === gated!.model)?.threshold).toBe(1);
      expect(after.operatingPoint.manualOverride).toBe(true);
      expect((await api.listTraces({ escalated: true, limit: 1 })).total).toBeGreaterThan(before);
      const system = (await api.getState()).tune!.evaluation.find((r) => r.policy === 'system')!;
      expect(system.escalationRate).toBeGreaterThan(before / testQueries);
      await expect(api.setQeThreshold({ threshold: 0.5, model: 'no-such-model' })).rejects.toThrow(/no cluster's plan in the served region thresholds the QE score of "no-such-model"/);
    });

    it('imports a config with a clear error for bad input, and re-evaluates a good one', async () => {
      await tuned();
      const text = (await api.exportConfig()).text;
      await expect(api.importConfig({ text: '{oops', fileName: 'mine.json' })).rejects.toThrow(/mine\.json: malformed JSON/);
      await expect(api.importConfig({ text: JSON.stringify({ version: 99 }), fileName: 'old.json' })).rejects.toThrow(/old\.json: tuned config version 99 is not supported/);
      const broken = JSON.parse(text);
      broken.regions[0].plans = 'x';
      const err = await api.importConfig({ text: JSON.stringify(broken), fileName: 'broken.json' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppApiError);
      expect((err as AppApiError).message).toMatch(/broken\.json: field "regions\[0\]\.plans"/);
      const state = await api.importConfig({ text, fileName: 'good.json' });
      expect(state.tune?.k).toBe(3);
    });

    it('exports the report as JSON and as CSV', async () => {
      await tuned();
      const json = JSON.parse((await api.exportReport({ format: 'json' })).text);
      expect(json.report.evaluation.length).toBeGreaterThan(3);
      const lines = (await api.exportReport({ format: 'csv' })).text.trim().split('\n');
      // Provenance first, as comment lines: the data set and the config the figures belong to.
      const comments = lines.filter((l) => l.startsWith('# '));
      expect(comments).toContain(`# data set: ${json.report.dataSet}`);
      expect(comments).toContain(`# config: ${json.report.configId}`);
      expect(json.report.configId).toMatch(/^[0-9a-f]{12}$/);
      const csv = lines.slice(comments.length);
      expect(csv[0]).toBe('policy,accuracy,cost_per_query_USD,retention,cost_reduction,escalation_rate');
      expect(csv.length).toBe(json.report.evaluation.length + 1);
    });
  });

  describe('streams over the event socket', () => {
    let upstream: Upstream;
    beforeAll(async () => {
      upstream = await startUpstream({ reply: 'Paris is the capital of France.', tokenDelayMs: 2 });
    });
    afterAll(async () => {
      await upstream?.close();
    });

    it('streams a compare of two tiers with TTFT and token counts, and reports a failing tier on its own', async () => {
      await tuned();
      await api.setPool({
        version: 1,
        tiers: [
          { kind: 'cloud', name: 'fast', baseUrl: upstream.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 2, concurrency: 4, timeoutMs: 5000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 64, stop: [] } },
          { kind: 'cloud', name: 'keyless', baseUrl: upstream.url, model: 'm', apiKeyEnv: 'CASCADE_LAB_TEST_UNSET_KEY', usdPerMtokIn: 0, usdPerMtokOut: 0, concurrency: 1, timeoutMs: 5000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 64, stop: [] } },
        ],
      });
      const state = await api.getState();
      expect(state.workspace?.tierStatus.find((t) => t.name === 'keyless')?.problem).toMatch(/CASCADE_LAB_TEST_UNSET_KEY is not set/);
      expect(JSON.stringify(state)).not.toMatch(/sk-/);

      const events: AppEvent[] = [];
      let finished: () => void = () => undefined;
      const done = new Promise<void>((r) => (finished = r));
      const stop = await subscribed('fast', (e) => {
        events.push(e);
        if (e.type === 'compare.done') finished();
      });
      const { streamId } = await api.startCompare({ prompt: 'What is the capital of France?', tiers: ['fast', 'keyless'] });
      await done;
      stop();
      const mine = events.filter((e) => 'streamId' in e && e.streamId === streamId);
      const text = mine.flatMap((e) => (e.type === 'compare.token' && e.tier === 'fast' ? [e.text] : [])).join('');
      expect(text).toBe('Paris is the capital of France.');
      const end = mine.find((e) => e.type === 'compare.tierEnd' && e.tier === 'fast');
      expect(end?.type === 'compare.tierEnd' && end.stats.outputTokens).toBeGreaterThan(1);
      expect(end?.type === 'compare.tierEnd' && end.stats.ttftMs).not.toBeNull();
      const failed = mine.find((e) => e.type === 'stream.error');
      expect(failed?.type === 'stream.error' && failed.tier).toBe('keyless');
      expect(failed?.type === 'stream.error' && failed.message).toMatch(/CASCADE_LAB_TEST_UNSET_KEY/);
    });

    it('runs a live prompt through the tuned route with streamed tokens and per-pass TTFT/TPOT', async () => {
      await tuned();
      const models = (await api.getState()).workspace!.models.map((m) => m.model);
      await api.setPool({
        version: 1,
        tiers: models.map((name) => ({ kind: 'cloud' as const, name, baseUrl: upstream.url, model: name, usdPerMtokIn: 1, usdPerMtokOut: 1, concurrency: 1, timeoutMs: 5000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 64, stop: [] } })),
      });
      const events: AppEvent[] = [];
      let finished: () => void = () => undefined;
      const done = new Promise<void>((r) => (finished = r));
      const stop = await subscribed(models[0], (e) => {
        events.push(e);
        if (e.type === 'live.done' || e.type === 'stream.error') finished();
      });
      const { streamId } = await api.startLive({ prompt: 'Janet has 3 apples and buys 2 more. How many apples does she have?' });
      await done;
      stop();
      const mine = events.filter((e) => 'streamId' in e && e.streamId === streamId);
      expect(mine.find((e) => e.type === 'stream.error')).toBeUndefined();
      const starts = mine.flatMap((e) => (e.type === 'live.passStart' ? [e] : []));
      const ends = mine.flatMap((e) => (e.type === 'live.passEnd' ? [e] : []));
      expect(starts.length).toBeGreaterThan(0);
      expect(models).toContain(starts[0].tier);
      expect(starts[0].cluster).not.toBeNull();
      expect(mine.flatMap((e) => (e.type === 'live.token' && e.pass === 0 ? [e.text] : [])).join('')).toBe('Paris is the capital of France.');
      expect(ends).toHaveLength(starts.length);
      for (const end of ends) expect(end.stats.ttftMs).toBeGreaterThanOrEqual(0);
      // Each escalation starts one more pass; the pass whose answer is kept escalates no further.
      expect(starts.length).toBeGreaterThan(ends.filter((e) => e.escalate).length);
      // Each pass says what it is: one stage 1, then agreement partners or escalations, one escalation per "escalate".
      expect(starts[0].role).toBe('stage1');
      expect(starts.slice(1).every((s) => s.role !== 'stage1')).toBe(true);
      expect(starts.filter((s) => s.role === 'escalation')).toHaveLength(ends.filter((e) => e.escalate).length);
      // And each verdict carries the cascade's reason: an escalation is doubtful or disagreed; the kept answer is not.
      for (const end of ends.filter((e) => e.escalate)) expect(['doubtful', 'disagreed']).toContain(end.reason);
      expect(['final', 'confident', 'agreed', 'cap']).toContain(ends.at(-1)!.reason);
      expect(ends.at(-1)!.escalate).toBe(false);
      const last = mine.at(-1);
      expect(last?.type === 'live.done' && last.finalTier).toBe(ends.at(-1)!.tier);

      // Serving maps the config's models to tiers as the live stream does, and answers through them.
      const serving = await api.startServe({ port: 0 });
      try {
        expect(serving.running).toBe(true);
        const res = await fetch(`${serving.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'cascade', messages: [{ role: 'user', content: 'Janet has 3 apples and buys 2 more. How many apples does she have?' }] }) });
        expect(res.status).toBe(200);
        expect(JSON.stringify(await res.json())).toMatch(/Paris is the capital of France\./);
      } finally {
        await api.stopServe();
      }

      // The client validates the reply against the contract, so resolving means it matched.
      await expect(api.abortStream({ streamId })).resolves.toBeNull();
      const reply = await raw(server, '/api/abortStream', { 'content-type': 'application/json', host: `127.0.0.1:${server.port}`, authorization: `Bearer ${server.token}` }, JSON.stringify({ streamId }));
      expect(reply.status).toBe(200);
      expect(APP_API_CONTRACT.abortStream.response.safeParse(JSON.parse(reply.body).value).success).toBe(true);
    });

    it('refuses to serve with a clear error when no tier stands for a model the config routes to', async () => {
      await tuned();
      await api.setPool({
        version: 1,
        tiers: [{ kind: 'cloud', name: 'fast', baseUrl: upstream.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 2, concurrency: 4, timeoutMs: 5000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 64, stop: [] } }],
      });
      const err = await api.startServe({ port: 0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppApiError);
      expect((err as AppApiError).kind).toBe('UnsatisfiableError');
      expect((err as Error).message).toMatch(/startServe: the config routes to "[^"]+".*no tier of the live pool stands for.*the pool has: fast/);
      expect((await api.getState()).serve.running).toBe(false);
    });

    it('runs a benchmark on a tier with progress, pause and resume, and exports a run log that loads', async () => {
      await tuned();
      await api.setPool({
        version: 1,
        tiers: [{ kind: 'cloud', name: 'fast', baseUrl: upstream.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 2, concurrency: 1, timeoutMs: 5000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 16, stop: [] } }],
      });
      const progress: RunInfo[] = [];
      let finished: (run: RunInfo) => void = () => undefined;
      const done = new Promise<RunInfo>((r) => (finished = r));
      const stop = await subscribed('fast', (e) => {
        if (e.type !== 'run.progress') return;
        progress.push(e.run);
        if (e.run.state === 'done' || e.run.state === 'failed') finished(e.run);
      });
      // The first query is refused as too long: recorded as unanswered, and the run goes on.
      upstream.setBehaviour({ kind: 'status', status: 400, times: 1, message: "This model's maximum context length is 16 tokens." });
      const started = await api.startRun({ dataSet: DATA_SET, limit: 4 });
      expect(started.total).toBe(4);
      expect((await api.pauseRun({ runId: started.runId })).state).toBe('paused');
      expect((await api.listRuns()).find((r) => r.runId === started.runId)?.state).toBe('paused');
      expect((await api.resumeRun({ runId: started.runId })).state).toBe('running');
      const run = await done;
      stop();
      expect(run.state).toBe('done');
      expect(run.tiers).toEqual([{
        tier: 'fast', done: 4, errors: 0, lastError: null, unanswered: { context_length: 1 },
        summary: {
          answered: 3, correct: 0, accuracy: 0, inputTokens: expect.any(Number), outputTokens: 3 * 6, costUsd: expect.any(Number),
          elapsedS: expect.any(Number), ttftMsMedian: expect.any(Number), tpotMsMedian: expect.any(Number),
        },
      }]);
      expect(progress.some((p) => p.state === 'paused')).toBe(true);
      await expect(api.pauseRun({ runId: 'nope' })).rejects.toThrow(/no run "nope"/);
      const ws = await api.loadWorkspace({ kind: 'path', path: run.outDir });
      expect(ws.queries).toBe(4);
      expect(ws.models).toMatchObject([{ model: 'fast', answered: 3, unanswered: 1, unansweredReasons: { context_length: 1 } }]);
    });

    it('keeps a running benchmark\'s tiers when the pool is replaced under it', async () => {
      await tuned();
      const tier = { kind: 'cloud' as const, baseUrl: upstream.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 2, concurrency: 1, timeoutMs: 5000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 16, stop: [] } };
      await api.setPool({ version: 1, tiers: [{ ...tier, name: 'first' }] });
      let finished: (run: RunInfo) => void = () => undefined;
      const done = new Promise<RunInfo>((r) => (finished = r));
      const stop = await subscribed('first', (e) => {
        if (e.type === 'run.progress' && (e.run.state === 'done' || e.run.state === 'failed')) finished(e.run);
      });
      const started = await api.startRun({ dataSet: DATA_SET, limit: 3 });
      await api.pauseRun({ runId: started.runId });
      // The workspace's pool changes while the run is paused with queries left: its tiers must outlive the change.
      await api.setPool({ version: 1, tiers: [{ ...tier, name: 'second' }] });
      await api.resumeRun({ runId: started.runId });
      const run = await done;
      stop();
      expect(run.state).toBe('done');
      expect(run.tiers).toMatchObject([{ tier: 'first', done: 3, errors: 0, lastError: null }]);
    });
  });
});
