// The live pool as a workspace keeps it, over the real HTTP bridge on 127.0.0.1: saved in the
// state folder and back after a restart, a broken saved file named in the error, GGUF files
// checked before they become tiers, the Live view's readiness against the served plan, a
// finished benchmark run opened as a workspace that tunes, and the runs of an earlier launch
// listed after a restart (finished ones to open, an interrupted one to resume).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AppApiError, PoolFileSchema, type AppClient, type PoolFile, type RunInfo } from '../../../core/app-api.js';
import { parsePoolFile, type CloudTierSpec } from '../../../core/pool.js';
import { EngineLink } from '../../../renderer/api/engine-link.js';
import { createHttpClient } from '../../../renderer/api/http-client.js';
import { startAppServer, type AppServer } from '../../../server/app/app-server.js';
import { AppService } from '../../../server/app/app-service.js';
import { bridgeClient } from '../../helpers/bridge-client.js';
import { start as startUpstream, type Upstream } from '../../helpers/openai-upstream.js';

const DATA = '../shared/data';
const DATA_SET = 'shared:zeroeval-gsm8k-crux';
const GGUF = resolve('../shared/models/stories260K.gguf');

const local = (name: string, standsFor?: string[]) => ({ kind: 'local' as const, name, model: GGUF, gpuLayers: 0, threads: 1, contextSize: 256, ...(standsFor && { standsFor }) });
function cloud(name: string, url: string, standsFor?: string[]): CloudTierSpec {
  return {
    kind: 'cloud', name, baseUrl: url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 2, concurrency: 2, timeoutMs: 5000,
    retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 16, stop: [] }, ...(standsFor && { standsFor }),
  };
}

async function failure(call: Promise<unknown>): Promise<AppApiError> {
  const err = await call.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppApiError);
  return err as AppApiError;
}

describe('the workspace kept in the state folder', () => {
  let stateDir: string;
  let runsDir: string;
  const servers: AppServer[] = [];
  const start = async (options: { initialDataSet: string | null }) => {
    const server = await startAppServer({ port: 0, dataDirs: [DATA], simulatedDir: null, runsDir, stateDir, ...options });
    servers.push(server);
    return { server, api: bridgeClient(server) };
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cascade-lab-state-'));
    runsDir = await mkdtemp(join(tmpdir(), 'cascade-lab-state-runs-'));
  });

  afterAll(async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    await rm(stateDir, { recursive: true, force: true });
    await rm(runsDir, { recursive: true, force: true });
  });

  it('saves the pool, settings and run log on every change, and a new server on the same folder reopens them', async () => {
    const first = await start({ initialDataSet: DATA_SET });
    const models = (await first.api.getState()).workspace!.models.map((m) => m.model);
    const pool = parsePoolFile({ version: 1, tiers: [local('tiny', [models[0]]), cloud('big', 'http://127.0.0.1:9/v1', [models[1]])] }, 'test');
    await first.api.setPool(pool);
    const settings = { costMetric: 'tokens' as const, split: { trainFraction: 0.6, seed: 7 } };
    await first.api.setSettings(settings);
    const saved = JSON.parse(await readFile(join(stateDir, 'workspace.json'), 'utf8')) as { source: unknown };
    expect(saved.source).toEqual({ kind: 'dataset', id: DATA_SET });
    await first.server.close();

    // No initial data set this time: the saved one comes back, with its pool and settings.
    const second = await start({ initialDataSet: null });
    const ws = (await second.api.getState()).workspace!;
    expect(ws.source).toMatch(/zeroeval-gsm8k-crux$/);
    expect(ws.pool).toEqual(pool);
    expect(ws.settings).toEqual(settings);
    expect(ws.tierStatus.find((t) => t.name === 'tiny')).toEqual({ name: 'tiny', kind: 'local', ready: true, problem: null });
    await second.server.close();
  });

  it('refuses a pool where two tiers stand for one model, and leaves the saved pool as it was', async () => {
    const { server, api } = await start({ initialDataSet: DATA_SET });
    const before = await readFile(join(stateDir, 'workspace.json'), 'utf8');
    const model = (await api.getState()).workspace!.models[0].model;
    const err = await failure(api.setPool(PoolFileSchema.parse({ version: 1, tiers: [local('a', [model]), local('b', [model])] })));
    expect(err.kind).toBe('ConflictError');
    expect(err.message).toBe(`setPool: field "tiers[1].standsFor[0]": model "${model}" already has tier "a"`);
    expect(await readFile(join(stateDir, 'workspace.json'), 'utf8')).toBe(before);
    await server.close();
  });

  it('names the saved file and the field when it is malformed', async () => {
    const file = join(stateDir, 'workspace.json');
    const good = JSON.stringify({ version: 1, source: null, settings: { costMetric: 'usd', split: { trainFraction: 0.5, seed: 1 } }, pool: null });
    await writeFile(file, '{"version": 1, "source": null, ');
    await expect(start({ initialDataSet: null })).rejects.toThrow(`${file}: malformed JSON`);
    await writeFile(file, JSON.stringify({ ...JSON.parse(good), pool: { version: 1, tiers: [] } }));
    await expect(start({ initialDataSet: null })).rejects.toThrow(`${file}: field "pool.tiers": a pool needs at least one tier`);
    await writeFile(file, good);
    const { server, api } = await start({ initialDataSet: null });
    expect((await api.getState()).workspace).toBeNull();
    await server.close();
  });

  it('says the engine is disconnected, naming its address, instead of a bare "Failed to fetch"', async () => {
    const { server } = await start({ initialDataSet: null });
    const link = new EngineLink();
    const api = createHttpClient({ baseUrl: server.origin, token: server.token, WebSocket: WebSocket as never, reconnectMs: 50, link });
    await api.getState();
    expect(link.state).toEqual({ connected: true });
    await server.close();
    const err = await failure(api.getState());
    expect(err.kind).toBe('EngineDisconnectedError');
    expect(err.message).toMatch(new RegExp(`^engine disconnected: ${server.origin} did not answer getState \\(.+\\); start the engine again, then reconnect$`));
    expect(link.state).toEqual({ connected: false, message: err.message.replace(/^engine disconnected: /, '') });
  });

  it('checks a GGUF file before it becomes a tier: size and header, or a problem naming the path', async () => {
    const { server, api } = await start({ initialDataSet: null });
    const ok = await api.inspectModelFile({ path: GGUF });
    expect(ok).toMatchObject({ path: GGUF, exists: true, problem: null, header: { architecture: 'llama' } });
    expect(ok.sizeBytes).toBeGreaterThan(100_000);
    expect(ok.header!.tensors).toBeGreaterThan(0);
    const missing = await api.inspectModelFile({ path: '/no/such/model.gguf' });
    expect(missing).toEqual({ path: '/no/such/model.gguf', exists: false, sizeBytes: null, header: null, problem: 'model file /no/such/model.gguf does not exist' });
    const notGguf = await api.inspectModelFile({ path: 'package.json' });
    expect(notGguf.path).toBe(resolve('package.json'));
    expect(notGguf.problem).toBe(`${resolve('package.json')} is not a GGUF model file: it does not start with the GGUF magic number`);
    await server.close();
  });
});

describe('Live readiness and runs opened as workspaces', () => {
  let server: AppServer;
  let api: AppClient;
  let upstream: Upstream;
  let runsDir: string;

  beforeAll(async () => {
    upstream = await startUpstream({ reply: 'The answer is 18.' });
    runsDir = await mkdtemp(join(tmpdir(), 'cascade-lab-state-runs-'));
    server = await startAppServer({ port: 0, dataDirs: [DATA], simulatedDir: null, runsDir, initialDataSet: DATA_SET });
    api = bridgeClient(server);
  });

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    await rm(runsDir, { recursive: true, force: true });
  });

  it('disables Live with the reason while the pool cannot serve the served plan, and startLive refuses the same way', async () => {
    expect(await api.checkLive()).toEqual({ ready: false, reason: 'the live pool is empty: add a local GGUF or cloud tier in the Workspace view', models: [] });
    await api.tune({ k: 3 });
    const plans = (await api.getState()).tune!.operatingPoint.plans;
    expect(plans.length).toBe(3);
    const ws = await api.setPool({ version: 1, tiers: [cloud('only', upstream.url)] });
    const partial = await api.checkLive();
    expect(partial.ready).toBe(false);
    const used = partial.models.map((m) => m.model);
    expect(used.length).toBeGreaterThan(0);
    expect(used.every((m) => ws.models.some((x) => x.model === m))).toBe(true);
    expect(partial.reason).toMatch(/^the served plan uses ".+", which no pool tier stands for/);
    const refused = await failure(api.startLive({ prompt: 'What is 2 + 2?' }));
    expect(refused.kind).toBe('UnsatisfiableError');
    expect(refused.message).toBe(`startLive: ${partial.reason}`);

    // One tier that stands for every model the plan uses: ready, and each model maps to it.
    await api.setPool({ version: 1, tiers: [cloud('only', upstream.url, used)] });
    expect(await api.checkLive()).toEqual({ ready: true, reason: null, models: used.map((model) => ({ model, tier: 'only' })) });
    // A tier whose key variable is unset is not ready, and says so.
    await api.setPool({ version: 1, tiers: [{ ...cloud('only', upstream.url, used), apiKeyEnv: 'CASCADE_LAB_TEST_UNSET_KEY' }] });
    expect((await api.checkLive()).reason).toBe('tier "only" is not ready: environment variable CASCADE_LAB_TEST_UNSET_KEY is not set');
  });

  it('opens a finished run as the workspace, with the run\'s tiers as its models, and tunes on it', async () => {
    const pool: PoolFile = { version: 1, tiers: [cloud('run-a', upstream.url), cloud('run-b', upstream.url)] };
    await api.setPool(pool);
    let finished: (run: RunInfo) => void = () => undefined;
    const done = new Promise<RunInfo>((r) => (finished = r));
    const stop = api.subscribe((e) => {
      if (e.type === 'run.progress' && (e.run.state === 'done' || e.run.state === 'failed')) finished(e.run);
    });
    const started = await api.startRun({ dataSet: DATA_SET, limit: 12 });
    const early = await failure(api.openRun({ runId: started.runId }));
    expect(early.message).toMatch(new RegExp(`^openRun: run "${started.runId}" is (running|paused): only a finished run has a run log to open$`));
    const run = await done;
    stop();
    expect(run.state).toBe('done');
    const ws = await api.openRun({ runId: run.runId });
    expect(ws.source).toBe(run.outDir);
    expect(ws.queries).toBe(12);
    expect(ws.models.map((m) => m.model).sort()).toEqual(['run-a', 'run-b']);
    expect(ws.models.every((m) => m.answered === 12)).toBe(true);
    expect(ws.pool).toEqual(pool);
    const report = await api.tune({ k: 1 });
    expect(report.trainQueries + report.testQueries).toBe(12);
    // The run's own tiers stand for the log's models by name: the live cascade can serve it as it is.
    expect((await api.checkLive()).ready).toBe(true);
    expect((await failure(api.openRun({ runId: 'nope' }))).message).toBe('openRun: no run "nope"');
  });
});

describe('runs of earlier launches', () => {
  let upstream: Upstream;
  let runsDir: string;
  const servers: AppServer[] = [];
  const launch = async () => {
    const server = await startAppServer({ port: 0, dataDirs: [DATA], simulatedDir: null, runsDir, initialDataSet: DATA_SET });
    servers.push(server);
    return { server, api: bridgeClient(server) };
  };
  /** Resolves with the first progress of a run that `settles`; subscribe before the call that starts it. */
  const progressOf = (api: AppClient, settles: (run: RunInfo) => boolean) => {
    let stop = () => {};
    const seen = new Promise<RunInfo>((resolve) => {
      stop = api.subscribe((e) => {
        if (e.type === 'run.progress' && settles(e.run)) resolve(e.run);
      });
    });
    return seen.finally(() => stop());
  };

  beforeAll(async () => {
    // Slow enough tokens that a 40-query run is still going when its app closes.
    upstream = await startUpstream({ reply: 'The answer is 18.', tokenDelayMs: 15 });
    runsDir = await mkdtemp(join(tmpdir(), 'cascade-lab-earlier-runs-'));
  });

  afterAll(async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    await upstream?.close();
    await rm(runsDir, { recursive: true, force: true });
  });

  it('lists a finished run after a restart and opens it, and resumes an interrupted one where it stopped', async () => {
    const pool: PoolFile = { version: 1, tiers: [cloud('run-a', upstream.url)] };
    const first = await launch();
    await first.api.setPool(pool);
    const finishing = progressOf(first.api, (r) => r.state === 'done' || r.state === 'failed');
    await first.api.startRun({ dataSet: DATA_SET, limit: 6 });
    const finished = await finishing;
    expect(finished.state).toBe('done');
    const underway = progressOf(first.api, (r) => r.total === 40 && r.tiers[0].done >= 3);
    const cutShort = await first.api.startRun({ dataSet: DATA_SET, limit: 40 });
    await underway;
    // The app quits mid-run.
    await first.server.close();
    const answeredBefore = upstream.answered;

    const second = await launch();
    const runs = await second.api.listRuns();
    expect(runs.map((r) => r.runId)).toEqual([cutShort.runId, finished.runId]);
    const [cut, old] = runs;
    expect(old).toMatchObject({ state: 'done', dataSet: DATA_SET, total: 6, outDir: finished.outDir });
    expect(old.tiers).toEqual([expect.objectContaining({ tier: 'run-a', done: 6, summary: expect.objectContaining({ answered: 6, correct: finished.tiers[0].summary!.correct }) })]);
    expect(cut.state).toBe('paused');
    const stored = cut.tiers[0].done;
    expect(stored).toBeGreaterThanOrEqual(3);
    expect(stored).toBeLessThan(40);
    expect(cut.tiers[0].summary).toBeNull();

    // A finished run needs nothing to "resume"; an interrupted one needs the pool's tiers.
    expect((await second.api.resumeRun({ runId: old.runId })).state).toBe('done');
    expect((await failure(second.api.resumeRun({ runId: cut.runId }))).message).toBe('resumeRun: resuming a run needs a live pool with a tier of each of its tier names: set the pool first');
    await second.api.setPool({ version: 1, tiers: [cloud('other', upstream.url)] });
    expect((await failure(second.api.resumeRun({ runId: cut.runId }))).message).toBe('resumeRun: no tier "run-a" in the pool (it has: other)');
    // Another model under the run's tier name would mix two models' answers in one column.
    await second.api.setPool({ version: 1, tiers: [{ ...cloud('run-a', upstream.url), model: 'other' }] });
    expect((await failure(second.api.resumeRun({ runId: cut.runId }))).message).toContain(`tier "run-a" of run "${cut.runId}" was model "m" at ${upstream.url}; the pool's tier "run-a" is model "other" at ${upstream.url}`);
    await second.api.setPool(pool);
    const resuming = progressOf(second.api, (r) => r.runId === cut.runId && (r.state === 'done' || r.state === 'failed'));
    expect((await second.api.resumeRun({ runId: cut.runId })).state).toBe('running');
    const resumed = await resuming;
    expect(resumed.state).toBe('done');
    expect(resumed.tiers[0].done).toBe(40);
    // Only what was not stored is asked again (the one answer in flight when the app quit, at most, twice).
    expect(upstream.answered - answeredBefore).toBeGreaterThanOrEqual(40 - stored);
    expect(upstream.answered - answeredBefore).toBeLessThanOrEqual(40 - stored + 1);
    expect((await second.api.openRun({ runId: old.runId })).queries).toBe(6);
    expect((await second.api.listRuns()).map((r) => [r.runId, r.state])).toEqual([[cut.runId, 'done'], [old.runId, 'done']]);
  });
});

describe('a runs folder whose store cannot be read', () => {
  it('starts without its runs and logs which store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cascade-lab-bad-runs-'));
    try {
      await writeFile(join(dir, 'runs.sqlite'), 'not a database');
      const messages: string[] = [];
      const service = await AppService.create({ dataDirs: [DATA], simulatedDir: null, runsDir: dir, initialDataSet: null, onUnexpected: (m) => messages.push(m) });
      try {
        expect(await service.listRuns()).toEqual([]);
        expect(messages).toHaveLength(1);
        expect(messages[0].startsWith(`cascade-lab: the runs of earlier launches in ${dir} could not be read: `)).toBe(true);
        expect(messages[0]).toContain(join(dir, 'runs.sqlite'));
      } finally {
        await service.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
