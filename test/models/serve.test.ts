import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigRejectedError } from '../../server/serve/errors.js';
import { startServer, type RunningServer } from '../../server/serve/server.js';
import { parsePrometheusText, sampleSum, sampleValue } from '../helpers/prometheus-text.js';
import { start as startUpstream, type Upstream } from '../helpers/openai-upstream.js';
import { localPool, mapAll, prompts, routeOf, tuneOnSharedData, withCascadePlan, writeJson } from './serve-fixture.js';
import type { TunedConfig } from '../../core/config.js';

const cascadeHeaders = (h: Headers) => {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    if (k.startsWith('x-cascade-')) out[k] = v;
  });
  return out;
};

let dir: string;
let tuned: TunedConfig;
let prompt: string;
let cluster: number;
let stage1Model: string;
let rungs: [string, string];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serve-models-'));
  tuned = (await tuneOnSharedData(dir)).config;
  prompt = prompts('gsm8k', 1)[0];
  ({ cluster, stage1: stage1Model } = await routeOf(tuned, prompt));
  // The cheapest and the strongest model of the pool, as stage 1 and stage 2 of the test plan.
  const byAccuracy = [...tuned.pool].sort((a, b) => a.accuracy - b.accuracy);
  rungs = [byAccuracy[0].model, byAccuracy[byAccuracy.length - 1].model];
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('serve over two local GGUF tiers, with a config tuned on the shared data', () => {
  let server: RunningServer;
  let client: OpenAI;
  let configPath: string;
  let sent = 0;

  beforeAll(async () => {
    configPath = join(dir, 'config.json');
    const poolPath = join(dir, 'pool.json');
    await writeJson(configPath, withCascadePlan(tuned, cluster, rungs, 1));
    await writeJson(poolPath, localPool());
    server = await startServer({ configPath, poolPath, tierMap: mapAll(tuned, 'large', { [rungs[0]]: 'small' }), logDir: join(dir, 'log') });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  const ask = async (threshold: number | null, stream: boolean) => {
    sent++;
    const messages = [{ role: 'user' as const, content: prompt }];
    if (!stream) {
      const started = performance.now();
      const { data, response } = await client.chat.completions.create({ model: 'cascade', messages }).withResponse();
      // The router's own time excludes the two GGUF generations, so it is a small part of the whole.
      const overheadMs = Number(response.headers.get('x-cascade-overhead-ms'));
      expect(overheadMs).toBeGreaterThanOrEqual(0);
      expect(overheadMs).toBeLessThan((performance.now() - started) / 2);
      return { text: data.choices[0].message.content ?? '', headers: cascadeHeaders(response.headers), threshold };
    }
    const { data, response } = await client.chat.completions.create({ model: 'cascade', messages, stream: true, stream_options: { include_usage: true } }).withResponse();
    let text = '';
    let usage = 0;
    for await (const chunk of data) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage.completion_tokens;
    }
    expect(usage).toBeGreaterThan(0);
    return { text, headers: cascadeHeaders(response.headers), threshold };
  };

  it('escalates when the QE rejects the stage-1 answer, streamed and not', async () => {
    for (const stream of [false, true]) {
      const r = await ask(1, stream);
      expect(r.headers['x-cascade-cluster']).toBe(String(cluster));
      expect(r.headers['x-cascade-stage1']).toBe('small');
      const qe = Number(r.headers['x-cascade-qe']);
      expect(qe).toBeGreaterThanOrEqual(0);
      // Threshold 1: any score below it rejects. Gibberish from a 260K-parameter model never scores 1.
      expect(qe).toBeLessThan(1);
      expect(r.headers['x-cascade-escalated']).toBe('true');
      expect(r.headers['x-cascade-final']).toBe('large');
      expect(r.text.length).toBeGreaterThan(0);
    }
  });

  it('streams exactly the text the non-streamed call returns (one tier only, never a mix)', async () => {
    const plain = await ask(1, false);
    const streamed = await ask(1, true);
    expect(streamed.text).toBe(plain.text);
  });

  it('reloads a good config on file change, and refuses a bad one while the old keeps serving', async () => {
    const reloadsOk = () => server.metrics.reloads.get().then((m) => m.values.find((v) => v.labels.result === 'ok')?.value ?? 0);
    const okBefore = await reloadsOk();
    // Threshold 0: every stage-1 answer is accepted. The watcher picks the file up by itself.
    await writeJson(configPath, withCascadePlan(tuned, cluster, rungs, 0));
    const until = Date.now() + 10_000;
    while ((await reloadsOk()) === okBefore && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(await reloadsOk()).toBe(okBefore + 1);
    const accepted = await ask(0, true);
    expect(accepted.headers['x-cascade-escalated']).toBe('false');
    expect(accepted.headers['x-cascade-final']).toBe('small');

    // A broken file and a config that names an unknown model: both refused, the last good config serves on.
    await writeJson(configPath, { version: 1, clusters: 'not a list' });
    await expect(server.reload()).rejects.toBeInstanceOf(ConfigRejectedError);
    await writeJson(configPath, withCascadePlan(tuned, cluster, [rungs[0], 'no-such-model'], 1));
    await expect(server.reload()).rejects.toThrow(/no-such-model/);
    const still = await ask(0, false);
    expect(still.headers['x-cascade-escalated']).toBe('false');
    const rejected = (await server.metrics.reloads.get()).values.find((v) => v.labels.result === 'rejected')?.value ?? 0;
    expect(rejected).toBeGreaterThanOrEqual(2);
    await writeJson(configPath, withCascadePlan(tuned, cluster, rungs, 1));
    await server.reload();
  });

  it('serves /v1/completions, and a tier named directly bypasses routing', async () => {
    sent++;
    const { data, response } = await client.completions.create({ model: 'small', prompt: 'Once upon a time', max_tokens: 8 }).withResponse();
    expect(data.choices[0].text.length).toBeGreaterThan(0);
    expect(data.usage?.completion_tokens).toBeLessThanOrEqual(8);
    expect(cascadeHeaders(response.headers)).toMatchObject({ 'x-cascade-cluster': 'none', 'x-cascade-stage1': 'small', 'x-cascade-final': 'small', 'x-cascade-escalated': 'false' });
    sent++;
    const stream = await client.completions.create({ model: 'cascade', prompt, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('streams an ungated answer as it is generated only when asked (header or body field)', async () => {
    const delivery = async (headers: Record<string, string>, body: object) => {
      sent++;
      const stream = await client.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'Once upon a time' }], stream: true, ...body }, { headers });
      let last: unknown;
      for await (const chunk of stream) last = (chunk as { cascade?: unknown }).cascade ?? last;
      return (last as { delivery: string }).delivery;
    };
    expect(await delivery({}, {})).toBe('buffered');
    expect(await delivery({ 'x-cascade-stream-stage1': 'true' }, {})).toBe('live');
    expect(await delivery({}, { cascade: { stream_stage1: true } })).toBe('live');
  });

  it('lists the router and every tier', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['cascade', 'small', 'large']);
  });

  it('refuses bad input with OpenAI-style errors and stays up', async () => {
    sent++;
    await expect(client.chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    const post = async (body: string) => {
      sent++;
      const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: res.status, body: (await res.json()) as { error: { message: string; type: string; param: string | null } } };
    };
    const malformed = await post('{"model": "cascade", "messages": [');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.type).toBe('invalid_request_error');
    const missing = await post(JSON.stringify({ model: 'cascade' }));
    expect(missing).toMatchObject({ status: 400, body: { error: { param: 'messages' } } });
    const wrongType = await post(JSON.stringify({ model: 'cascade', messages: [{ role: 'user', content: 'hi' }], temperature: 'hot' }));
    expect(wrongType).toMatchObject({ status: 400, body: { error: { param: 'temperature' } } });
    const long = await post(JSON.stringify({ model: 'cascade', messages: [{ role: 'user', content: 'x'.repeat(200_001) }] }));
    expect(long).toMatchObject({ status: 400, body: { error: { param: 'messages' } } });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('reports ready, and /metrics parses as Prometheus text whose counters match the requests sent', async () => {
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { tiers: { reachable: boolean }[] }).tiers.every((t) => t.reachable)).toBe(true);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const families = parsePrometheusText(text);
    expect(sampleSum(families, 'cascade_requests_total')).toBe(sent);
    expect(sampleSum(families, 'cascade_requests_total', { status: '200' })).toBe(sent - 5);
    expect(sampleSum(families, 'cascade_requests_total', { status: '400' })).toBe(4);
    expect(sampleSum(families, 'cascade_requests_total', { status: '404' })).toBe(1);
    // Five escalations at threshold 1 (two, two, and the streamed completion); two more answers scored at threshold 0.
    expect(sampleSum(families, 'cascade_escalations_total', { cluster: String(cluster), from: 'small', to: 'large' })).toBe(5);
    expect(sampleValue(families, 'cascade_qe_score_count', { cluster: String(cluster) })).toBe(7);
    expect(sampleSum(families, 'cascade_tokens_total', { tier: 'small', direction: 'output' })).toBeGreaterThan(0);
    expect(sampleValue(families, 'cascade_router_overhead_seconds_count')).toBe(sent - 5);
    // The local tiers' backend and offload, read at scrape time.
    expect(sampleSum(families, 'cascade_gpu_info')).toBe(1);
    expect(sampleValue(families, 'cascade_tier_gpu_layers', { tier: 'small', layers: 'total' })).toBeGreaterThan(0);
    expect(sampleValue(families, 'cascade_tier_memory_bytes', { tier: 'large', memory: 'ram' })).toBeGreaterThan(0);
    // The process's own health beside the router's figures.
    expect(sampleValue(families, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 2 ** 20);
    expect(sampleValue(families, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    // Round trip: what prom-client holds is what the text says.
    for (const metric of await server.metrics.registry.getMetricsAsJSON()) {
      // The process's own counters (CPU seconds) move between the two reads.
      if (String(metric.type) !== 'counter' || !metric.name.startsWith('cascade_')) continue;
      for (const v of metric.values) expect(sampleValue(families, metric.name, Object.fromEntries(Object.entries(v.labels).map(([k, x]) => [k, String(x)])))).toBe(v.value);
    }
  });

  it('writes one decision-log line per request, refused ones included', async () => {
    await server.close();
    const lines = (await readFile(join(dir, 'log', 'decisions.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(sent);
    expect(lines.filter((l) => l.status !== 200)).toHaveLength(5);
    expect(lines[0]).toMatchObject({ endpoint: 'chat', model: 'cascade', cluster, stage1: 'small', final: 'large', escalated: true, plan: 'cascade' });
  });
});

describe('serve: failover, client abort, auth and graceful shutdown', () => {
  let server: RunningServer;
  let upstream: Upstream;
  let steady: Upstream;
  let slow: Server;
  let slowUrl: string;
  const slowEvents: string[] = [];

  beforeAll(async () => {
    upstream = await startUpstream();
    steady = await startUpstream({ reply: 'one two three four five six seven eight nine ten', tokenDelayMs: 30 });
    // An endpoint that streams forever and records whether its client hung up first.
    slow = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        slowEvents.push('request');
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const timer = setInterval(() => res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content: 'word ' }, finish_reason: null }] })}\n\n`), 20);
        res.on('close', () => {
          clearInterval(timer);
          slowEvents.push(res.writableEnded ? 'finished' : 'aborted by client');
        });
      });
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/v1`;
    const cloud = (name: string, baseUrl: string) => ({ kind: 'cloud', name, baseUrl, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 1, timeoutMs: 5000 });
    const configPath = join(dir, 'config-b.json');
    const poolPath = join(dir, 'pool-b.json');
    await writeJson(configPath, tuned);
    await writeJson(poolPath, { version: 1, tiers: [cloud('remote', upstream.url), cloud('slow', slowUrl), cloud('steady', steady.url), (localPool() as { tiers: object[] }).tiers[1]] });
    server = await startServer({ configPath, poolPath, tierMap: mapAll(tuned, 'large', { [stage1Model]: 'remote' }), authToken: 'sekret', watch: false });
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    await steady?.close();
    slow?.closeAllConnections();
    await new Promise((r) => slow?.close(r));
  });

  it('requires the bearer token everywhere but /health and /ready', async () => {
    const wrong = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toMatchObject({ status: 401 });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const right = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sekret', maxRetries: 0 });
    expect((await right.models.list()).data.map((m) => m.id)).toEqual(['cascade', 'remote', 'slow', 'steady', 'large']);
  });

  it('fails over to the next tier when a tier is down, and says so in headers and metrics', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sekret', maxRetries: 0 });
    const up = await client.chat.completions.create({ model: 'cascade', messages: [{ role: 'user', content: prompt }] }).withResponse();
    const headers = cascadeHeaders(up.response.headers);
    expect(headers['x-cascade-stage1']).toBe('remote');
    expect(headers['x-cascade-fallback']).toBeUndefined();
    await upstream.close();
    for (const stream of [false, true]) {
      const r = await client.chat.completions.create({ model: 'cascade', messages: [{ role: 'user', content: prompt }], stream }).withResponse();
      const h = cascadeHeaders(r.response.headers);
      expect(h['x-cascade-fallback']).toBe('remote>large:unreachable');
      expect(h['x-cascade-stage1']).toBe('large');
    }
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    const families = parsePrometheusText(await server.metrics.registry.metrics());
    expect(sampleSum(families, 'cascade_fallbacks_total', { from: 'remote', reason: 'unreachable' })).toBe(2);
  });

  it('aborts the upstream generation when the client goes away', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sekret', maxRetries: 0 });
    const controller = new AbortController();
    const call = client.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'go on forever' }], stream: true }, { signal: controller.signal });
    while (!slowEvents.includes('request')) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await expect(call.then(async (s) => { for await (const _ of s); })).rejects.toThrow();
    const until = Date.now() + 5000;
    while (!slowEvents.includes('aborted by client') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(slowEvents).toContain('aborted by client');
    const aborts = async () => (await server.metrics.clientAborts.get()).values[0]?.value ?? 0;
    while ((await aborts()) === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(await aborts()).toBe(1);
  });

  it('drains an in-flight request on close, then refuses new connections', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sekret', maxRetries: 0 });
    const inflight = client.chat.completions.create({ model: 'steady', messages: [{ role: 'user', content: 'hello' }] });
    await new Promise((r) => setTimeout(r, 100));
    const closing = server.close();
    const answer = await inflight;
    expect(answer.choices[0].message.content).toBe('one two three four five six seven eight nine ten');
    await closing;
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});

describe('serve: a prompt longer than a local tier context', () => {
  let server: RunningServer;
  let upstream: Upstream;
  let long: string;

  beforeAll(async () => {
    upstream = await startUpstream({ reply: 'The answer is 42.' });
    // Several hundred tokens more than the 512-token context of the local test tiers.
    long = `${prompt}\n${'Once upon a time there was a little dog who liked to run in the park. '.repeat(60)}`;
    const { stage1 } = await routeOf(tuned, long);
    const configPath = join(dir, 'config-c.json');
    const poolPath = join(dir, 'pool-c.json');
    await writeJson(configPath, tuned);
    await writeJson(poolPath, { version: 1, tiers: [(localPool() as { tiers: object[] }).tiers[0], { kind: 'cloud', name: 'remote', baseUrl: upstream.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 1 }] });
    server = await startServer({ configPath, poolPath, tierMap: mapAll(tuned, 'remote', { [stage1]: 'small' }), watch: false });
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
  });

  const post = (model: string) =>
    fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: long }] }) });

  it('fails over to a tier whose context holds it, and says why', async () => {
    const res = await post('cascade');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cascade-final')).toBe('remote');
    expect(res.headers.get('x-cascade-fallback')).toBe('small>remote:context_length');
  });

  it('is a 400 context_length_exceeded naming the tier when no tier can take it', async () => {
    const res = await post('small');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; param: string; message: string } };
    expect(body.error).toMatchObject({ code: 'context_length_exceeded', param: 'messages' });
    expect(body.error.message).toMatch(/tier "small".*context of 512 tokens/);
  });
});
