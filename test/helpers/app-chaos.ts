// Chaos for the app over its HTTP + WebSocket bridge, for any live pool: Live and Compare streams
// started at seeded random moments, aborted (Stop) at seeded random moments 0–500 ms in or left to
// finish, while an upstream dies and comes back. test/integration/app/chaos.test.ts runs it over cloud
// tiers, test/models/app-chaos.test.ts with a GGUF tier that loads as streams start.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { AppClient, AppEvent, PoolFile } from '../../core/app-api.js';
import { startAppServer, type AppServer } from '../../server/app/app-server.js';
import { bridgeClient } from './bridge-client.js';
import { start as startUpstream, type Upstream } from './openai-upstream.js';
import { watchUnhandled } from './unhandled.js';

const SIMULATED = resolve(import.meta.dirname, '../../fixtures/simulated');

/** What a cloud tier of the chaos pool looks like, in front of upstream `name`. */
export function chaosCloudTier(name: string, url: string, standsFor: string[], concurrency: number): PoolFile['tiers'][number] {
  return { kind: 'cloud', name, baseUrl: url, model: name, standsFor, usdPerMtokIn: 1, usdPerMtokOut: 1, concurrency, timeoutMs: 2000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 400, stop: [] } };
}

export interface AppChaos {
  server: AppServer;
  api: AppClient;
  /** Upstreams by name: `a` and `big`. */
  ups: Record<'a' | 'big', Upstream>;
  /** Runs `rounds` rounds of `perRound` streams; compares ask `compareTiers`. Returns the figures for the note. */
  run(options: { rounds: number; perRound: number; seed: number; compareTiers: string[] }): Promise<string>;
  close(): Promise<void>;
}

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

/**
 * Starts the app on the simulated workspace, tuned (k = 2), with the pool `poolOf` builds over two
 * upstreams (`a`, `big`: 40-word answers, 10–15 ms a word), and an open event socket.
 */
export async function startAppChaos(poolOf: (models: string[], ups: Record<'a' | 'big', Upstream>) => PoolFile['tiers']): Promise<AppChaos> {
  const runsDir = await mkdtemp(join(tmpdir(), 'app-chaos-runs-'));
  const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
  const ups = { a: await startUpstream({ reply: words, tokenDelayMs: 15 }), big: await startUpstream({ reply: words, tokenDelayMs: 10 }) };
  const server = await startAppServer({ port: 0, simulatedDir: SIMULATED, runsDir, onUnexpected: () => undefined });
  const api = bridgeClient(server);
  await api.tune({ k: 2 });
  const models = (await api.getState()).workspace!.models.map((m) => m.model);
  await api.setPool({ version: 1, tiers: poolOf(models, ups) });
  const events: AppEvent[] = [];
  const unsubscribe = api.subscribe((e) => events.push(e));
  // The socket is open once an event it carries arrives: a stream started and aborted at once says so.
  for (let tries = 0; tries < 20; tries++) {
    const probe = await api.startCompare({ prompt: 'hello', tiers: ['big'], maxTokens: 1 });
    await api.abortStream(probe);
    const deadline = Date.now() + 500;
    while (!events.some((e) => terminal(e, probe.streamId)) && Date.now() < deadline) await sleep(10);
    if (events.some((e) => terminal(e, probe.streamId))) break;
  }
  const unhandled = watchUnhandled();

  async function run(options: { rounds: number; perRound: number; seed: number; compareTiers: string[] }): Promise<string> {
    const started = Date.now();
    const shotArb = fc.record({
      kind: fc.constantFrom('live' as const, 'compare' as const),
      startMs: fc.integer({ min: 0, max: 100 }),
      // null: left to finish.
      abortMs: fc.option(fc.integer({ min: 0, max: 500 }), { freq: 5, nil: null }),
    });
    const roundArb = fc.record({
      shots: fc.array(shotArb, { minLength: options.perRound, maxLength: options.perRound }),
      kill: fc.record({ upstream: fc.constantFrom('a' as const, 'big' as const), atMs: fc.integer({ min: 0, max: 500 }), forMs: fc.integer({ min: 20, max: 200 }) }),
    });
    const rounds = fc.sample(roundArb, { seed: options.seed, numRuns: options.rounds });
    const ids: string[] = [];
    let aborted = 0;
    const hungUpBefore = ups.a.hungUp + ups.big.hungUp;
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
          : await api.startCompare({ prompt: `What is ${i} times 7?`, tiers: options.compareTiers, maxTokens: 400 });
        if (shot.abortMs !== null) {
          await sleep(shot.abortMs);
          await api.abortStream({ streamId });
          aborted++;
        }
        return streamId;
      }));
      await killer;
      ids.push(...mine);
      await until('every stream of the round has ended', () => mine.every((id) => events.some((e) => terminal(e, id))), 60_000);
      await until('no upstream call is left running', () => ups.a.open === 0 && ups.big.open === 0);
      expect((await api.getState()).apiVersion).toBe(1);
    }
    for (const id of ids) expect(events.filter((e) => terminal(e, id)), id).toHaveLength(1);
    expect(server.service.unexpectedErrors).toBe(0);
    expect(unhandled.seen).toEqual([]);
    return `${ids.length} streams (${aborted} aborted), ${ups.a.hungUp + ups.big.hungUp - hungUpBefore} upstream calls hung up, ${rounds.length} rounds, ${((Date.now() - started) / 1000).toFixed(1)} s`;
  }

  return {
    server,
    api,
    ups,
    run,
    async close() {
      unsubscribe();
      unhandled.stop();
      await server.close();
      await Promise.all(Object.values(ups).map((u) => u.close()));
      await rm(runsDir, { recursive: true, force: true });
    },
  };
}
