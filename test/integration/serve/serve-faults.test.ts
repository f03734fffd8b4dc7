// `serve` over real cloud tiers in front of real upstream servers on 127.0.0.1: what a client
// hanging up, a failing escalation and a rate-limited tier do to a request and to the process.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterPlan } from '../../../core/cascade/plan.js';
import type { TunedConfig } from '../../../core/config.js';
import type { ServeOptions } from '../../../server/serve/options.js';
import { startServer, type RunningServer } from '../../../server/serve/server.js';
import { start as startUpstream, type Upstream } from '../../helpers/openai-upstream.js';
import { cloudTier, simulatedConfig, withPlan, writeServeFiles } from '../../helpers/serve-harness.js';
import { watchUnhandled } from '../../helpers/unhandled.js';

let dir: string;
let config: TunedConfig;
let models: string[];
const upstreams: Upstream[] = [];
const servers: RunningServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serve-faults-'));
  config = await simulatedConfig();
  models = config.pool.map((p) => p.model);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function upstream(options: Parameters<typeof startUpstream>[0]): Promise<Upstream> {
  const u = await startUpstream(options);
  upstreams.push(u);
  return u;
}

/** Serves `plan` on every cluster with tiers a (stage 1), p (partner), b (escalation) and big (failover only, strongest). */
async function serve(plan: ClusterPlan, tiers: Record<string, Upstream>, extra: Record<string, Record<string, unknown>> = {}, options: Partial<ServeOptions> = {}): Promise<RunningServer> {
  const stands: Record<string, string[]> = { a: [models[0]], p: [models[1]], b: [models[2]], big: models.slice(3) };
  const sub = await mkdtemp(join(dir, 'case-'));
  const files = await writeServeFiles(sub, withPlan(config, plan), Object.entries(tiers).map(([name, u]) => cloudTier(name, u.url, stands[name], extra[name])));
  const server = await startServer({ ...files, watch: false, drainTimeoutMs: 2000, ...options });
  servers.push(server);
  return server;
}

/** The answer's text, from the JSON body or the stream's deltas. */
async function answerText(res: Response): Promise<string> {
  const body = await res.text();
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) return (JSON.parse(body) as { choices: { message: { content: string } }[] }).choices[0].message.content;
  return body.split('\n').filter((l) => l.startsWith('data: {')).map((l) => (JSON.parse(l.slice(6)) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '').join('');
}

const ask = (server: RunningServer, body: object, signal?: AbortSignal) =>
  fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'cascade', messages: [{ role: 'user', content: 'What is 6 times 7?' }], ...body }), signal });

describe('a client hanging up', () => {
  it('never ends the process on an agree-or-escalate plan, at any moment, streamed or not', async () => {
    const unhandled = watchUnhandled();
    try {
      const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
      const a = await upstream({ reply: words, tokenDelayMs: 10 });
      const p = await upstream({ reply: words, tokenDelayMs: 1 });
      const big = await upstream({ reply: words });
      const server = await serve({ action: 'agree', model: models[0], partner: models[1], threshold: 0, escalateTo: models[3] }, { a, p, big }, { a: { concurrency: 1 } });
      // One at a time, then in bursts that queue for the stage-1 tier's single slot.
      for (const burst of [1, 1, 1, 1, 1, 1, 1, 1, 8, 8, 16]) {
        await Promise.all(Array.from({ length: burst }, (_, j) => {
          const controller = new AbortController();
          const answered = ask(server, { stream: j % 2 === 0 }, controller.signal).then((r) => r.text()).catch(() => 'aborted');
          setTimeout(() => controller.abort(), 5 + ((j * 37) % 120));
          return answered;
        }));
      }
      // Every aborted call has settled on the server side once its abort is counted.
      const until = Date.now() + 5000;
      while (Date.now() < until && (await server.metrics.inflight.get()).values[0].value > 0) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      expect(unhandled.seen).toEqual([]);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      expect((await server.metrics.clientAborts.get()).values[0]?.value ?? 0).toBeGreaterThan(0);
    } finally {
      unhandled.stop();
    }
  });
});

describe('an escalation whose stronger tiers all fail', () => {
  it('serves the stage-1 answer, never a weaker failover tier', async () => {
    const a = await upstream({ reply: 'The answer is 41.' });
    const p = await upstream({ reply: 'The answer is 40.' });
    const b = await upstream({ reply: 'The answer is 42.', behaviour: { kind: 'status', status: 500 } });
    const big = await upstream({ reply: 'The answer is 43.' });
    // The partner disagrees, so stage 1 escalates to b, which fails.
    const server = await serve({ action: 'agree', model: models[0], partner: models[1], threshold: 0, escalateTo: models[2] }, { a, p, b, big });
    for (const stream of [false, true]) {
      const res = await ask(server, { stream });
      expect(res.status).toBe(200);
      expect(await answerText(res)).toBe('The answer is 41.');
      expect(res.headers.get('x-cascade-stage1')).toBe('a');
      expect(res.headers.get('x-cascade-final')).toBe('a');
      expect(res.headers.get('x-cascade-escalated')).toBe('false');
      expect(res.headers.get('x-cascade-fallback')).toBe('b>none:http_5xx');
    }
    expect(big.requests).toBe(0);
  });
});

describe('request ids', () => {
  it('tags every answer with x-request-id, echoing a client\'s own plain id and replacing anything else', async () => {
    const a = await upstream({ reply: 'The answer is 41.' });
    const server = await serve({ action: 'answer', model: models[0] }, { a });
    const fresh = await ask(server, {});
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const mine = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'trace-42.a' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-42.a');
    const odd = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'a b\tc' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((await server.metrics.unexpected.get()).values[0]?.value ?? 0).toBe(0);
  });
});

describe('usage of an escalated answer', () => {
  it('sums tokens over every pass, with each pass and the total cost in the cascade field, streamed and not', async () => {
    const a = await upstream({ reply: 'The answer is 41.' });
    const p = await upstream({ reply: 'It is 40.' });
    const b = await upstream({ reply: 'The answer is 42 exactly.' });
    // The partner disagrees, so each request pays for a, p and b.
    const server = await serve({ action: 'agree', model: models[0], partner: models[1], threshold: 0, escalateTo: models[2] }, { a, p, b });
    // The upstream counts words: 5 in the prompt, 4 in a's answer, 3 in p's, 5 in b's.
    const expected = { prompt_tokens: 15, completion_tokens: 12, total_tokens: 27 };
    const plain = (await (await ask(server, {})).json()) as { usage: object; cascade: { passes: { tier: string; inputTokens: number; outputTokens: number; costUsd: number }[]; costUsd: number; escalated: boolean } };
    expect(plain.cascade.escalated).toBe(true);
    expect(plain.usage).toEqual(expected);
    expect(plain.cascade.passes.map((x) => [x.tier, x.inputTokens, x.outputTokens]).sort()).toEqual([['a', 5, 4], ['b', 5, 5], ['p', 5, 3]]);
    expect(plain.cascade.costUsd).toBeCloseTo(plain.cascade.passes.reduce((n, x) => n + x.costUsd, 0), 12);
    expect(plain.cascade.costUsd).toBeGreaterThan(0);
    const streamed = await (await ask(server, { stream: true, stream_options: { include_usage: true } })).text();
    const chunks = streamed.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)) as { usage?: object; cascade?: { passes: unknown[] } });
    expect(chunks.find((c) => c.usage)?.usage).toEqual(expected);
    expect(chunks.find((c) => c.cascade)?.cascade?.passes).toHaveLength(3);
  });
});

describe('the smaller endpoints', () => {
  it('retrieves one model (the SDK\'s models.retrieve), and 404s an unknown one', async () => {
    const a = await upstream({ reply: 'The answer is 41.' });
    const server = await serve({ action: 'answer', model: models[0] }, { a });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    expect(await client.models.retrieve('cascade')).toMatchObject({ id: 'cascade', object: 'model' });
    expect(await client.models.retrieve('a')).toMatchObject({ id: 'a', object: 'model' });
    await expect(client.models.retrieve('nope')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    expect((await fetch(`${server.url}/v1/models/%E0%A4%A`)).status).toBe(404);
  });

  it('tells /ready\'s per-tier detail only to the token holder, and never the config\'s full path', async () => {
    const a = await upstream({ reply: 'The answer is 41.' });
    const server = await serve({ action: 'answer', model: models[0] }, { a }, {}, { authToken: 'sekret-sekret-sekret' });
    const open = await fetch(`${server.url}/ready`);
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ ready: true, draining: false });
    const full = (await (await fetch(`${server.url}/ready`, { headers: { authorization: 'Bearer sekret-sekret-sekret' } })).json()) as { config: { path: string }; tiers: unknown[] };
    expect(full.config.path).toBe('config.json');
    expect(full.tiers).toHaveLength(1);
  });
});

describe('the operator\'s output cap', () => {
  it('lowers a client\'s larger max_tokens to --max-output-tokens, and leaves a smaller one alone', async () => {
    const a = await upstream({ reply: 'one two three four five six seven eight' });
    const server = await serve({ action: 'answer', model: models[0] }, { a }, {}, { maxOutputTokens: 5 });
    const big = (await (await ask(server, { max_tokens: 4000 })).json()) as { choices: { message: { content: string }; finish_reason: string }[] };
    expect(a.lastBody?.max_tokens).toBe(5);
    expect(big.choices[0]).toMatchObject({ message: { content: 'one two three four five' }, finish_reason: 'length' });
    await ask(server, { max_tokens: 3 });
    expect(a.lastBody?.max_tokens).toBe(3);
  });
});

describe('a request abandoned after some tiers answered', () => {
  it('still counts what it paid for, the cut-short call included, in the metrics and in its decision-log line', async () => {
    const a = await upstream({ reply: 'The answer is 41.' });
    const p = await upstream({ reply: 'It is 40.' });
    const b = await upstream({ reply: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '), tokenDelayMs: 25 });
    const logDir = await mkdtemp(join(dir, 'log-'));
    // The partner disagrees, so the request escalates to b, whose answer takes a second: the client leaves meanwhile.
    const server = await serve({ action: 'agree', model: models[0], partner: models[1], threshold: 0, escalateTo: models[2] }, { a, p, b }, {}, { logDir });
    const controller = new AbortController();
    const asked = ask(server, {}, controller.signal).catch(() => undefined);
    const until = Date.now() + 5000;
    while (b.open === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    // A few of b's words (25 ms apart) have been generated by then.
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await asked;
    while ((await server.metrics.inflight.get()).values[0].value > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    const tokens = async (tier: string) => (await server.metrics.tokens.get()).values.filter((v) => v.labels.tier === tier).reduce((n, v) => n + v.value, 0);
    expect(await tokens('a')).toBe(9);
    expect(await tokens('p')).toBe(8);
    // And the tokens b streamed before the client left.
    expect(await tokens('b')).toBeGreaterThan(0);
    await server.close();
    const line = JSON.parse((await readFile(join(logDir, 'decisions.jsonl'), 'utf8')).trim()) as { status: number; inputTokens: number; outputTokens: number; costUsd: number };
    expect(line).toMatchObject({ status: 499 });
    expect(line.inputTokens).toBeGreaterThanOrEqual(10);
    expect(line.outputTokens).toBeGreaterThan(7);
    expect(line.costUsd).toBeGreaterThan(0);
  });

  it('tells a full outage the way it tells a failover: header, metrics and decision log', async () => {
    const a = await upstream({ behaviour: { kind: 'status', status: 503 } });
    const big = await upstream({ behaviour: { kind: 'status', status: 500 } });
    const logDir = await mkdtemp(join(dir, 'log-'));
    const server = await serve({ action: 'answer', model: models[0] }, { a, big }, {}, { logDir });
    const res = await ask(server, {});
    expect(res.status).toBe(502);
    expect(res.headers.get('x-cascade-fallback')).toBe('a>big:http_5xx, big>none:http_5xx');
    expect((await res.json() as { error: { code: string } }).error.code).toBe('upstream_failed');
    const fallbacks = (await server.metrics.fallbacks.get()).values.map((v) => [v.labels.from, v.labels.to, v.labels.reason, v.value]);
    expect(fallbacks).toEqual([['a', 'big', 'http_5xx', 1], ['big', 'none', 'http_5xx', 1]]);
    await server.close();
    const line = JSON.parse((await readFile(join(logDir, 'decisions.jsonl'), 'utf8')).trim()) as { status: number; fallbacks: unknown[] };
    expect(line.status).toBe(502);
    expect(line.fallbacks).toEqual([{ from: 'a', to: 'big', reason: 'http_5xx' }, { from: 'big', to: null, reason: 'http_5xx' }]);
  });
});
