// Chaos for the app over its HTTP + WebSocket bridge: Live and Compare streams started at
// seeded random moments, aborted (Stop) at seeded random moments 0–500 ms in or left to finish,
// while an upstream dies and comes back. Every stream ends with one terminal event, the app
// answers after every round, nothing is left running upstream, and the process stays up.
// CASCADE_CHAOS_SCALE=10 runs ten times as many rounds.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppClient, AppEvent } from '../../../core/app-api.js';
import { startAppServer, type AppServer } from '../../../server/app/app-server.js';
import { bridgeClient } from '../../helpers/bridge-client.js';
import { start as startUpstream, type Upstream } from '../../helpers/openai-upstream.js';
import { watchUnhandled } from '../../helpers/unhandled.js';

const SIMULATED = resolve(import.meta.dirname, '../../../fixtures/simulated');
const SCALE = Number(process.env.CASCADE_CHAOS_SCALE ?? '1');
const ROUNDS = 10 * SCALE;
const PER_ROUND = 20;
const SEED = 7122026;

let server: AppServer;
let api: AppClient;
let runsDir: string;
const ups: Record<'a' | 'big', Upstream> = {} as never;
const events: AppEvent[] = [];
let unsubscribe: () => void = () => undefined;
const unhandled = watchUnhandled();

beforeAll(async () => {
  runsDir = await mkdtemp(join(tmpdir(), 'app-chaos-runs-'));
  const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
  ups.a = await startUpstream({ reply: words, tokenDelayMs: 15 });
  ups.big = await startUpstream({ reply: words, tokenDelayMs: 10 });
  server = await startAppServer({ port: 0, simulatedDir: SIMULATED, runsDir, onUnexpected: () => undefined });
  api = bridgeClient(server);
  await api.tune({ k: 2 });
  const models = (await api.getState()).workspace!.models.map((m) => m.model);
  const tier = (name: 'a' | 'big', standsFor: string[], concurrency: number) => ({ kind: 'cloud' as const, name, baseUrl: ups[name].url, model: name, standsFor, usdPerMtokIn: 1, usdPerMtokOut: 1, concurrency, timeoutMs: 2000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 400, stop: [] } });
  await api.setPool({ version: 1, tiers: [tier('a', models.slice(0, 3), 2), tier('big', models.slice(3), 8)] });
  // The socket is open once an event it carries arrives: a stream started and aborted at once says so.
  unsubscribe = api.subscribe((e) => events.push(e));
  const probe = await api.startCompare({ prompt: 'hello', tiers: ['a'] });
  await api.abortStream(probe);
  const deadline = Date.now() + 10_000;
  while (!events.some((e) => e.type === 'compare.done' && e.streamId === probe.streamId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}, 120_000);
afterAll(async () => {
  unsubscribe();
  unhandled.stop();
  await server?.close();
  await Promise.all(Object.values(ups).map((u) => u.close()));
  await rm(runsDir, { recursive: true, force: true });
});

const shotArb = fc.record({
  kind: fc.constantFrom('live' as const, 'compare' as const),
  startMs: fc.integer({ min: 0, max: 100 }),
  // null: left to finish.
  abortMs: fc.option(fc.integer({ min: 0, max: 500 }), { freq: 5, nil: null }),
});
const roundArb = fc.record({
  shots: fc.array(shotArb, { minLength: PER_ROUND, maxLength: PER_ROUND }),
  kill: fc.record({ upstream: fc.constantFrom('a' as const, 'big' as const), atMs: fc.integer({ min: 0, max: 500 }), forMs: fc.integer({ min: 20, max: 200 }) }),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// A live stream ends with live.done, or with a stream.error of no tier when it fails (a dead upstream); a compare always with compare.done.
const terminal = (e: AppEvent, id: string) => (e.type === 'live.done' || e.type === 'compare.done' || (e.type === 'stream.error' && e.tier === null)) && e.streamId === id;

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

describe('chaos: Live and Compare streams started, stopped and aborted at random over the bridge', () => {
  it('every stream ends once, the app keeps answering, and nothing is left running upstream', async () => {
    const started = Date.now();
    const rounds = fc.sample(roundArb, { seed: SEED, numRuns: ROUNDS });
    const ids: string[] = [];
    let aborted = 0;
    for (const round of rounds) {
      const killer = (async () => {
        await sleep(round.kill.atMs);
        await ups[round.kill.upstream].kill();
        await sleep(round.kill.forMs);
        await ups[round.kill.upstream].revive();
      })();
      const mine = await Promise.all(round.shots.map(async (shot, i) => {
        await sleep(shot.startMs);
        const { streamId } = shot.kind === 'live'
          ? await api.startLive({ prompt: `What is ${i} times 7?`, maxTokens: 400 })
          : await api.startCompare({ prompt: `What is ${i} times 7?`, tiers: ['a', 'big'], maxTokens: 400 });
        if (shot.abortMs !== null) {
          await sleep(shot.abortMs);
          await api.abortStream({ streamId });
          aborted++;
        }
        return streamId;
      }));
      await killer;
      ids.push(...mine);
      await until('every stream of the round has ended', () => mine.every((id) => events.some((e) => terminal(e, id))));
      await until('no upstream call is left running', () => ups.a.open === 0 && ups.big.open === 0);
      expect((await api.getState()).apiVersion).toBe(1);
    }
    for (const id of ids) expect(events.filter((e) => terminal(e, id)), id).toHaveLength(1);
    expect(server.service.unexpectedErrors).toBe(0);
    expect(unhandled.seen).toEqual([]);
    console.log(`app chaos (scale ${SCALE}): ${ids.length} streams (${aborted} aborted), ${ups.a.hungUp + ups.big.hungUp} upstream calls hung up, ${rounds.length} rounds, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);
});
