import { DisposedError } from '../../../core/errors.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudTierSpecSchema, type CloudTierSpec } from '../../../core/pool.js';
import { CloudTier } from '../../../native-models/tiers/cloud-tier.js';
import { MissingApiKeyError, TierHttpError, TierStreamError, TierTimeoutError, TierUnreachableError } from '../../../native-models/tiers/errors.js';
import { start, type Upstream } from '../../helpers/openai-upstream.js';

let upstream: Upstream;
const tiers: CloudTier[] = [];

function spec(over: Partial<CloudTierSpec> = {}): CloudTierSpec {
  return CloudTierSpecSchema.parse({
    kind: 'cloud',
    name: 'upstream-mini',
    baseUrl: upstream.url,
    model: 'mini',
    apiKeyEnv: 'CASCADE_TEST_KEY',
    usdPerMtokIn: 1,
    usdPerMtokOut: 2,
    timeoutMs: 500,
    retry: { maxRetries: 2, initialDelayMs: 5, maxDelayMs: 20 },
    ...over,
  });
}

async function tier(over: Partial<CloudTierSpec> = {}): Promise<CloudTier> {
  const t = await CloudTier.create(spec(over), { env: { CASCADE_TEST_KEY: 'sk-test' } });
  tiers.push(t);
  return t;
}

beforeAll(async () => {
  upstream = await start({ reply: 'Six times seven is 42.', tokenDelayMs: 3 });
});
afterEach(() => upstream.setBehaviour({ kind: 'ok' }));
afterAll(async () => {
  await Promise.all(tiers.map((t) => t.dispose()));
  await upstream.close();
});

describe('CloudTier over a real OpenAI-compatible server', () => {
  it('streams a chat answer with usage-based token counts, cost and stream timings', async () => {
    const t = await tier();
    const pieces: string[] = [];
    const r = await t.generate({ messages: [{ role: 'user', content: 'what is six times seven' }] }, { onToken: (e) => pieces.push(e.text) });
    expect(r.text).toBe('Six times seven is 42.');
    expect(pieces.join('')).toBe(r.text);
    expect(r.stopReason).toBe('stop');
    expect(r.inputTokens).toBe(5);
    expect(r.outputTokens).toBe(5);
    expect(r.costUsd).toBeCloseTo((5 * 1 + 5 * 2) / 1e6, 12);
    expect(r.ttftMs).toBeGreaterThan(0);
    expect(r.tpotMs).toBeGreaterThanOrEqual(2);
    expect(r.latencyMs).toBeGreaterThanOrEqual(r.ttftMs);
    const body = upstream.lastBody!;
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.model).toBe('mini');
  });

  it('uses /v1/completions for a raw prompt and honours maxTokens as length', async () => {
    const t = await tier();
    const r = await t.generate({ prompt: 'a b', maxTokens: 2 });
    expect(r.text).toBe('Six times');
    expect(r.stopReason).toBe('length');
    expect(r.outputTokens).toBe(2);
  });

  it('summarises token log-probabilities when asked', async () => {
    const t = await tier();
    const seen: number[] = [];
    const r = await t.generate({ messages: [{ role: 'user', content: 'q' }], logprobs: true }, { onToken: (e) => e.logprob !== undefined && seen.push(e.logprob) });
    expect(r.logprobs).toBeDefined();
    expect(r.logprobs!.mean).toBeCloseTo(-0.25, 9);
    expect(r.logprobs!.min).toBeCloseTo(-0.25, 9);
    expect(r.logprobs!.entropy).toBeGreaterThan(0);
    expect(seen).toHaveLength(5);
    expect(upstream.lastBody!.logprobs).toBe(true);
  });

  it('aborting mid-stream ends the call with stopReason abort and the text so far', async () => {
    const t = await tier();
    const controller = new AbortController();
    let n = 0;
    const r = await t.generate({ messages: [{ role: 'user', content: 'q' }] }, { signal: controller.signal, onToken: () => { if (++n === 2) controller.abort(); } });
    expect(r.stopReason).toBe('abort');
    expect(r.text).toBe('Six times');
  });

  it('retries a 429 and a 500 with backoff, then succeeds', async () => {
    const t = await tier();
    const before = upstream.requests;
    upstream.setBehaviour({ kind: 'status', status: 429, times: 1, retryAfterS: 0 });
    expect((await t.generate({ prompt: 'q' })).text).toBe('Six times seven is 42.');
    upstream.setBehaviour({ kind: 'status', status: 503, times: 2 });
    expect((await t.generate({ prompt: 'q' })).stopReason).toBe('stop');
    expect(upstream.requests - before).toBe(5);
  });

  it('a persistent 500 becomes a TierHttpError naming the tier and status, after the retries', async () => {
    const t = await tier();
    const before = upstream.requests;
    upstream.setBehaviour({ kind: 'status', status: 500 });
    const err = await t.generate({ prompt: 'q' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TierHttpError);
    expect((err as TierHttpError).status).toBe(500);
    expect((err as Error).message).toMatch(/tier "upstream-mini".*HTTP 500: .*after 3 tries/);
    expect(upstream.requests - before).toBe(3);
  });

  it('a 404 (wrong URL path) is not retried', async () => {
    const t = await tier({ baseUrl: upstream.url.replace(/\/v1$/, '/wrong') });
    const before = upstream.requests;
    const err = await t.generate({ prompt: 'q' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TierHttpError);
    expect((err as TierHttpError).status).toBe(404);
    expect(upstream.requests - before).toBe(1);
  });

  it('a hanging endpoint becomes a TierTimeoutError naming the tier', async () => {
    const t = await tier({ retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 } });
    upstream.setBehaviour({ kind: 'hang' });
    await expect(t.generate({ prompt: 'q' })).rejects.toThrow(TierTimeoutError);
    await expect(t.generate({ prompt: 'q' })).rejects.toThrow(/tier "upstream-mini".*no answer within 500 ms/);
  });

  it('a stream that stalls after the first token times out too', async () => {
    const t = await tier();
    upstream.setBehaviour({ kind: 'stall' });
    await expect(t.generate({ messages: [{ role: 'user', content: 'q' }] })).rejects.toThrow(TierTimeoutError);
  });

  it('an error event inside the 200 stream becomes a TierStreamError naming the tier, not retried', async () => {
    const t = await tier();
    upstream.setBehaviour({ kind: 'error-event' });
    const before = upstream.requests;
    const tokens: string[] = [];
    const err = await t.generate({ messages: [{ role: 'user', content: 'q' }] }, { onToken: (e) => tokens.push(e.text) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TierStreamError);
    expect(String(err)).toMatch(/tier "upstream-mini".*the upstream failed mid-stream/);
    // The first token had already reached the caller, so no retry may follow.
    expect(tokens).toHaveLength(1);
    expect(upstream.requests - before).toBe(1);
  });

  it('reads an endpoint that answers a stream request with one JSON body, chat and completions alike', async () => {
    const t = await tier();
    upstream.setBehaviour({ kind: 'ignore-stream' });
    try {
      for (const request of [{ messages: [{ role: 'user' as const, content: 'three words here' }] }, { prompt: 'three words here' }]) {
        const tokens: string[] = [];
        const r = await t.generate(request, { onToken: (e) => tokens.push(e.text) });
        expect(r.stopReason).toBe('stop');
        expect(r.text.length).toBeGreaterThan(0);
        expect(tokens.join('')).toBe(r.text);
        expect(r.inputTokens).toBe(3);
        expect(r.outputTokens).toBe(r.text.split(/\s+/).filter(Boolean).length);
      }
    } finally {
      upstream.setBehaviour({ kind: 'ok' });
    }
  });

  it('the idle timeout restarts with every chunk: a steady stream longer than it completes', async () => {
    // Eight words 100 ms apart: about 800 ms in all, never 500 ms without a chunk.
    const steady = await start({ reply: 'one two three four five six seven eight', tokenDelayMs: 100 });
    try {
      const t = await tier({ baseUrl: steady.url });
      const r = await t.generate({ messages: [{ role: 'user', content: 'q' }] });
      expect(r.text).toBe('one two three four five six seven eight');
      expect(r.latencyMs).toBeGreaterThan(500);
    } finally {
      await steady.close();
    }
  });

  it('a closed connection and a dead port become TierUnreachableError', async () => {
    const t = await tier({ retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1 } });
    upstream.setBehaviour({ kind: 'close' });
    await expect(t.generate({ prompt: 'q' })).rejects.toThrow(TierUnreachableError);
    const dead = await start();
    const deadUrl = dead.url;
    await dead.close();
    const d = await tier({ name: 'dead', baseUrl: deadUrl, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 } });
    await expect(d.generate({ prompt: 'q' })).rejects.toThrow(/tier "dead".*cannot reach the endpoint/);
  });

  it('honours the concurrency limit', async () => {
    const slow = await start({ tokenDelayMs: 20 });
    try {
      const t = await tier({ baseUrl: slow.url, concurrency: 1 });
      const t0 = performance.now();
      await Promise.all([t.generate({ prompt: 'q' }), t.generate({ prompt: 'q' })]);
      // Each call streams 4 tokens 20 ms apart (≥ 80 ms); one at a time means ≥ 160 ms.
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
    } finally {
      await slow.close();
    }
  });

  it('a missing API-key variable is a MissingApiKeyError naming tier and variable', async () => {
    await expect(CloudTier.create(spec(), { env: {} })).rejects.toThrow(MissingApiKeyError);
    await expect(CloudTier.create(spec(), { env: {} })).rejects.toThrow(/tier "upstream-mini".*CASCADE_TEST_KEY/);
  });

  it('dispose waits for a running call, is safe twice, and later calls throw DisposedError', async () => {
    const t = await CloudTier.create(spec(), { env: { CASCADE_TEST_KEY: 'k' } });
    let disposedEvents = 0;
    t.onDispose(() => disposedEvents++);
    const running = t.generate({ prompt: 'q' });
    await Promise.all([t.dispose(), t.dispose()]);
    expect((await running).text).toBe('Six times seven is 42.');
    expect(t.disposed).toBe(true);
    expect(disposedEvents).toBe(1);
    await expect(t.generate({ prompt: 'q' })).rejects.toThrow(DisposedError);
  });
});
