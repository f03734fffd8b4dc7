// Chaos for `serve`: every plan shape (answer, cascade, agree-or-escalate, failover), streamed
// and not, with every client aborted at a seeded random moment 0–500 ms in and an upstream killed
// at a seeded random point of each round. The process stays up, /health answers after every
// round, every upstream call ends because its client hung up (none runs on to its end unseen),
// and the decision log holds one line per request. CASCADE_CHAOS_SCALE=10 runs ten times as many rounds.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterPlan } from '../../../core/cascade/plan.js';
import { startServer, type RunningServer } from '../../../server/serve/server.js';
import { start as startUpstream, type Upstream } from '../../helpers/openai-upstream.js';
import { cloudTier, simulatedConfig, withPlan, writeServeFiles } from '../../helpers/serve-harness.js';
import { watchUnhandled } from '../../helpers/unhandled.js';

const SCALE = Number(process.env.CASCADE_CHAOS_SCALE ?? '1');
const ROUNDS = 3 * SCALE;
const PER_ROUND = 42;
const SEED = 20261207;
// Every upstream answer takes about 600 ms, longer than the latest abort: none may run to its end.
const WORDS = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
const TOKEN_DELAY_MS = 15;

let dir: string;
let models: string[];
const ups: Record<string, Upstream> = {};
const unhandled = watchUnhandled();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serve-chaos-'));
  models = (await simulatedConfig()).pool.map((p) => p.model);
  for (const name of ['a', 'p', 'b', 'big']) ups[name] = await startUpstream({ reply: name === 'p' ? WORDS.toUpperCase() : WORDS, tokenDelayMs: TOKEN_DELAY_MS });
});
afterAll(async () => {
  unhandled.stop();
  await Promise.all(Object.values(ups).map((u) => u.close()));
  await rm(dir, { recursive: true, force: true });
});

interface Shot {
  /** When the request starts in its round, ms. */
  startMs: number;
  /** How long after its start the client hangs up, ms. */
  abortMs: number;
}
interface Round {
  shots: Shot[];
  /** Which upstream dies, when, and for how long. */
  kill: { upstream: 'a' | 'p' | 'b' | 'big'; atMs: number; forMs: number };
}

const roundArb = fc.record({
  shots: fc.array(fc.record({ startMs: fc.integer({ min: 0, max: 100 }), abortMs: fc.integer({ min: 0, max: 500 }) }), { minLength: PER_ROUND, maxLength: PER_ROUND }),
  kill: fc.record({ upstream: fc.constantFrom('a' as const, 'p' as const, 'b' as const, 'big' as const), atMs: fc.integer({ min: 0, max: 500 }), forMs: fc.integer({ min: 20, max: 200 }) }),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

async function runRound(server: RunningServer, round: Round, stream: boolean, sent: Set<string>, tag: string): Promise<void> {
  const killer = (async () => {
    await sleep(round.kill.atMs);
    await ups[round.kill.upstream].kill();
    await sleep(round.kill.forMs);
    await ups[round.kill.upstream].revive();
  })();
  await Promise.all(round.shots.map(async (shot, i) => {
    await sleep(shot.startMs);
    const id = `${tag}-${i}`;
    sent.add(id);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), shot.abortMs);
    try {
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ model: 'cascade', stream, messages: [{ role: 'user', content: `What is ${i} times 7?` }] }),
        signal: controller.signal,
      });
      await res.text();
    } catch {
      // The abort: what the test is about.
    } finally {
      clearTimeout(timer);
    }
  }));
  await killer;
}

const SHAPES: Record<string, (m: string[]) => ClusterPlan> = {
  answer: (m) => ({ action: 'answer', model: m[0] }),
  cascade: (m) => ({ action: 'cascade', rungs: [m[0], m[2]], thresholds: [1] }),
  agree: (m) => ({ action: 'agree', model: m[0], partner: m[1], threshold: 0, escalateTo: m[2] }),
  // Stage 1 names a tier whose endpoint is down for good: every request fails over down the ladder.
  failover: (m) => ({ action: 'answer', model: m[1] }),
};

describe('chaos: clients aborting at random and upstreams dying, for every plan shape', () => {
  const figures: string[] = [];
  afterAll(() => console.log(`serve chaos (scale ${SCALE}):\n${figures.join('\n')}`));

  it.each(Object.keys(SHAPES))('%s plan, streamed and not', async (shape) => {
    const started = Date.now();
    const sub = await mkdtemp(join(dir, `${shape}-`));
    const deadUrl = 'http://127.0.0.1:9/v1';
    // Stage 1 has fewer slots than its partner, as a cheap rate-limited tier would: calls queue for it while the partner runs.
    const tiers = [
      cloudTier('a', ups.a.url, [models[0]], { timeoutMs: 2000, concurrency: 2 }),
      cloudTier('p', shape === 'failover' ? deadUrl : ups.p.url, [models[1]], { timeoutMs: 2000, concurrency: 16 }),
      cloudTier('b', ups.b.url, [models[2]], { timeoutMs: 2000 }),
      cloudTier('big', ups.big.url, models.slice(3), { timeoutMs: 2000 }),
    ];
    const files = await writeServeFiles(sub, withPlan(await simulatedConfig(), SHAPES[shape](models)), tiers);
    const logDir = join(sub, 'log');
    const server = await startServer({ ...files, watch: false, logDir, drainTimeoutMs: 2000 });
    const sent = new Set<string>();
    const answeredBefore = Object.values(ups).reduce((n, u) => n + u.answered, 0);
    const hungUpBefore = Object.values(ups).reduce((n, u) => n + u.hungUp, 0);
    const rounds = fc.sample(roundArb, { seed: SEED + shape.length, numRuns: ROUNDS * 2 });
    try {
      for (let r = 0; r < rounds.length; r++) {
        await runRound(server, rounds[r], r % 2 === 0, sent, `${shape}-${r}`);
        await until('the server has no request in flight', async () => (await server.metrics.inflight.get()).values[0].value === 0);
        await until('no upstream call is left running', () => Object.values(ups).every((u) => u.open === 0));
        const health = await fetch(`${server.url}/health`);
        expect(health.status).toBe(200);
      }
    } finally {
      await server.close();
    }
    // Every upstream call ended because its client (this server) hung up, or because the upstream was killed.
    expect(Object.values(ups).reduce((n, u) => n + u.answered, 0) - answeredBefore).toBe(0);
    const hungUp = Object.values(ups).reduce((n, u) => n + u.hungUp, 0) - hungUpBefore;
    expect(hungUp).toBeGreaterThan(0);

    const lines = (await readFile(join(logDir, 'decisions.jsonl'), 'utf8')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { requestId: string; status: number });
    const requests = (await server.metrics.requests.get()).values.reduce((n, v) => n + v.value, 0);
    const ids = lines.map((l) => l.requestId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(lines.length).toBe(requests);
    for (const id of ids) expect(sent.has(id), id).toBe(true);
    // Requests aborted within a millisecond or two may never reach the server; nearly all do.
    expect(lines.length).toBeGreaterThan(sent.size * 0.8);
    expect((await server.metrics.unexpected.get()).values[0]?.value ?? 0).toBe(0);
    expect(unhandled.seen).toEqual([]);
    figures.push(`  ${shape}: ${sent.size} requests (${lines.length} reached the server and were logged, ${lines.filter((l) => l.status === 499).length} as client aborts), ${hungUp} upstream calls hung up, ${rounds.length} rounds, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
