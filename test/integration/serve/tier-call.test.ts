import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudTierSpecSchema } from '../../../core/pool.js';
import type { TokenEvent } from '../../../core/tier.js';
import { CloudTier } from '../../../native-models/tiers/cloud-tier.js';
import { callLadder, callTier, ClientAbortedError, TierFailedError, type Fallback, type TierCallPolicy, type TokenSink } from '../../../server/cascade/tier-call.js';
import { retryAfterMs, retryDelayMs } from '../../../native-models/tiers/retry-after.js';
import { start, type Upstream } from '../../helpers/openai-upstream.js';

const policy = (retries: number, timeoutMs = 5000): TierCallPolicy => ({
  timeoutMs: () => timeoutMs,
  retry: () => ({ maxRetries: retries, initialDelayMs: 10, maxDelayMs: 50 }),
});

class CollectSink implements TokenSink {
  committed = false;
  attempts: string[] = [];
  text = '';
  constructor(private readonly commit = false) {}
  begin(tier: string) {
    this.attempts.push(tier);
    this.text = '';
  }
  token(e: TokenEvent) {
    this.text += e.text;
    if (this.commit) this.committed = true;
  }
}

// Serve owns retries, so the tiers are built with none of their own, as serve builds them.
const cloud = (name: string, url: string) =>
  CloudTier.create(CloudTierSpecSchema.parse({ kind: 'cloud', name, baseUrl: url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 2, retry: { maxRetries: 0 } }));

describe('tier calls: retries, timeouts, failover', () => {
  let a: Upstream;
  let b: Upstream;
  beforeAll(async () => {
    a = await start({ reply: 'from a' });
    b = await start({ reply: 'from b' });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('retries a 500 and a 429 with backoff, then answers from the same tier', async () => {
    const tier = await cloud('a', a.url);
    a.setBehaviour({ kind: 'status', status: 500, times: 1 });
    const before = a.requests;
    const sink = new CollectSink();
    const r = await callTier(tier, { prompt: 'hi' }, policy(2), new AbortController().signal, sink);
    expect(r.text).toBe('from a');
    expect(a.requests - before).toBe(2);
    expect(sink.attempts).toEqual(['a', 'a']);
    a.setBehaviour({ kind: 'status', status: 429, times: 2 });
    await callTier(tier, { prompt: 'hi' }, policy(2), new AbortController().signal, new CollectSink());
    await tier.dispose();
  });

  it('gives up after its retries and names the reason', async () => {
    const tier = await cloud('a', a.url);
    a.setBehaviour({ kind: 'status', status: 503 });
    const before = a.requests;
    const err = await callTier(tier, { prompt: 'hi' }, policy(1), new AbortController().signal, new CollectSink()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TierFailedError);
    expect((err as TierFailedError).reason).toBe('http_5xx');
    expect(a.requests - before).toBe(2);
    a.setBehaviour({ kind: 'ok' });
    await tier.dispose();
  });

  it('fails over down the ladder: a hanging tier times out, a dead one is unreachable', async () => {
    const ta = await cloud('a', a.url);
    const tb = await cloud('b', b.url);
    const dead = await start();
    const deadUrl = dead.url;
    await dead.close();
    const td = await cloud('dead', deadUrl);
    a.setBehaviour({ kind: 'hang' });
    const tiers = new Map([['a', ta], ['b', tb], ['dead', td]]);
    const fallbacks: Fallback[] = [];
    const r = await callLadder(tiers, ['dead', 'a', 'b'], 0, { prompt: 'hi' }, policy(0, 300), new AbortController().signal, new CollectSink(), new Set(), (f) => fallbacks.push(f));
    expect(r.result.text).toBe('from b');
    expect(r.index).toBe(2);
    expect(fallbacks).toEqual([
      { from: 'dead', to: 'a', reason: 'unreachable' },
      { from: 'a', to: 'b', reason: 'timeout' },
    ]);
    a.setBehaviour({ kind: 'ok' });
    await Promise.all([ta.dispose(), tb.dispose(), td.dispose()]);
  });

  it('never fails over once tokens reached the client', async () => {
    const ta = await cloud('a', a.url);
    const tb = await cloud('b', b.url);
    a.setBehaviour({ kind: 'stall' });
    const fallbacks: Fallback[] = [];
    const sink = new CollectSink(true);
    const err = await callLadder(new Map([['a', ta], ['b', tb]]), ['a', 'b'], 0, { prompt: 'hi' }, policy(3, 300), new AbortController().signal, sink, new Set(), (f) => fallbacks.push(f)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TierFailedError);
    expect(sink.attempts).toEqual(['a']);
    expect(fallbacks).toEqual([{ from: 'a', to: null, reason: 'timeout' }]);
    a.setBehaviour({ kind: 'ok' });
    await Promise.all([ta.dispose(), tb.dispose()]);
  });

  it('stops at once when the client aborts', async () => {
    const ta = await cloud('a', a.url);
    a.setBehaviour({ kind: 'hang' });
    const controller = new AbortController();
    const call = callTier(ta, { prompt: 'hi' }, policy(3), controller.signal, new CollectSink());
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await expect(call).rejects.toBeInstanceOf(ClientAbortedError);
    expect(Date.now() - started).toBeLessThan(2000);
    a.setBehaviour({ kind: 'ok' });
    await ta.dispose();
  });

  it('stops at once when the client aborts during the wait before a retry', async () => {
    const ta = await cloud('a', a.url);
    a.setBehaviour({ kind: 'status', status: 503 });
    const before = a.requests;
    const controller = new AbortController();
    const slow: TierCallPolicy = { timeoutMs: () => 5000, retry: () => ({ maxRetries: 3, initialDelayMs: 30_000, maxDelayMs: 30_000 }) };
    const call = callTier(ta, { prompt: 'hi' }, slow, controller.signal, new CollectSink());
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    await expect(call).rejects.toBeInstanceOf(ClientAbortedError);
    expect(Date.now() - started).toBeLessThan(5000);
    // The first answer was the 503; the abort came during the 15–30 s backoff, so no retry was sent.
    expect(a.requests - before).toBe(1);
    a.setBehaviour({ kind: 'ok' });
    await ta.dispose();
  });
});

describe('Retry-After', () => {
  let u: Upstream;
  beforeAll(async () => {
    u = await start({ reply: 'later' });
  });
  afterAll(async () => {
    await u.close();
  });

  it('reads retry-after-ms, seconds and an HTTP date; nothing readable is undefined', () => {
    const h = (o: Record<string, string>) => new Headers(o);
    expect(retryAfterMs(h({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(retryAfterMs(h({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(h({ 'retry-after': new Date(10_000).toUTCString() }), 7_000)).toBe(3000);
    expect(retryAfterMs(h({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(h({}))).toBeUndefined();
    expect(retryDelayMs({ initialDelayMs: 10, maxDelayMs: 500 }, 0, 60_000)).toBe(500);
  });

  it('waits as long as a 429 asks before the retry, in serve and in the tier\'s own retries', async () => {
    const patient = (retries: number): TierCallPolicy => ({ timeoutMs: () => 5000, retry: () => ({ maxRetries: retries, initialDelayMs: 10, maxDelayMs: 5000 }) });
    for (const [tierRetries, servePolicy] of [[0, patient(1)], [1, patient(0)]] as const) {
      const tier = await CloudTier.create(CloudTierSpecSchema.parse({ kind: 'cloud', name: 'u', baseUrl: u.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 2, retry: { maxRetries: tierRetries, initialDelayMs: 10, maxDelayMs: 5000 } }));
      u.setBehaviour({ kind: 'status', status: 429, times: 1, retryAfterS: 0.4 });
      const before = u.requests;
      const started = Date.now();
      const r = await callTier(tier, { prompt: 'hi' }, servePolicy, new AbortController().signal, new CollectSink());
      expect(r.text).toBe('later');
      expect(u.requests - before).toBe(2);
      // The backoff alone would have been 5–10 ms.
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
      await tier.dispose();
    }
  });

  it('caps what a 429 asks for at the policy\'s maxDelayMs', async () => {
    const tier = await cloud('u', u.url);
    u.setBehaviour({ kind: 'status', status: 429, times: 1, retryAfterS: 3600 });
    const started = Date.now();
    const capped: TierCallPolicy = { timeoutMs: () => 5000, retry: () => ({ maxRetries: 1, initialDelayMs: 10, maxDelayMs: 300 }) };
    const r = await callTier(tier, { prompt: 'hi' }, capped, new AbortController().signal, new CollectSink());
    expect(r.text).toBe('later');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(30_000);
    await tier.dispose();
  });
});
