import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, LiveRequest } from '../../core/app-api.js';
import { planModels, type CascadeConfig, type ClusterPlan } from '../../core/cascade/plan.js';
import { TunedRouter } from '../../core/cascade/router.js';
import { routeEmbedding, type TunedConfig } from '../../core/config.js';
import { BuiltinEmbedder } from '../../core/embed/tfidf.js';
import { InvalidInputError } from '../../core/errors.js';
import { PoolFileSchema } from '../../core/pool.js';
import { trainQe, type LabelledAnswer } from '../../core/qe/model.js';
import type { Query, RunLog } from '../../core/runlog.js';
import { tune } from '../../core/tune.js';
import { GgufEmbedder } from '../../native-models/embedders/index.js';
import { loadRunLog } from '../../native-models/runlog/load.js';
import { loadPool, TierPool } from '../../native-models/tiers/pool.js';
import { runLive } from '../../server/app/streams.js';
import { start as startUpstream } from '../helpers/openai-upstream.js';
import { tuneWithGgufEmbedder } from './serve-fixture.js';

// A config tuned on the shared data, run for real through the app's Live path on the two tiny
// GGUF tiers: tiny-random stands for the strong model, stories260K for every other run-log model
// (their answers are nonsense; the wiring is real).
const CHEAP = 'gpt-4o-mini-2024-07-18';
const STRONG = 'gpt-4o-2024-08-06';
let pool: TierPool;
let log: RunLog;
let config: TunedConfig;
let cascade: CascadeConfig;

/** The config serving `plans` (one for every cluster) at its operating region, with the test's QE. */
function serving(plans: ClusterPlan[]): TunedConfig {
  const op = config.operatingPoint.region;
  return { ...config, cascade, regions: config.regions.map((r, i) => (i === op ? { ...r, plans } : r)) };
}

/** The tiny-local pool with each tier standing for run-log models, lent as the app service lends its pool; `onLoad` hears each tier load begin. */
function tinyPool(models: string[], onLoad: (tier: string) => void): TierPool {
  const loaded = loadPool('fixtures/pools/tiny-local.json');
  const tiers = loaded.pool.tiers.map((t) => ({ ...t, standsFor: t.name === 'tiny-random' ? [STRONG] : models.filter((m) => m !== STRONG) }));
  return TierPool.lazy({ ...loaded, pool: PoolFileSchema.parse({ ...loaded.pool, tiers }) }, { onProgress: (p) => p.phase === 'resolve' && p.progress === 0 && onLoad(p.tier) });
}

/** Runs one Live prompt through `runLive` and returns its events. */
async function live(routed: TunedConfig | null, request: LiveRequest, tiers = pool): Promise<AppEvent[]> {
  const events: AppEvent[] = [];
  await runLive({ streamId: 's', tiers, config: routed, signal: new AbortController().signal, emit: (e) => events.push(e), done: () => undefined }, request);
  return events;
}

const ofType = <T extends AppEvent['type']>(events: AppEvent[], type: T) => events.filter((e): e is Extract<AppEvent, { type: T }> => e.type === type);

beforeAll(async () => {
  log = await loadRunLog(resolve('../shared/data/zeroeval-gsm8k-crux'));
  config = (await tune(log, { seed: 0, k: 4, cascade: false })).config;
  pool = tinyPool(config.pool.map((p) => p.model), () => undefined);
  const embedder = BuiltinEmbedder.fromState(config.embedder.state);
  const prompts = new Map(log.queries.map((q) => [q.qid, q.prompt]));
  const answers: LabelledAnswer[] = log.responses.filter((r) => r.model === CHEAP).map((r) => ({
    input: { query: prompts.get(r.qid)!, response: r.response, answer: r.answer, model: r.model, cluster: routeEmbedding(config, embedder.embedOne(prompts.get(r.qid)!)).cluster },
    correct: r.correct,
  }));
  const half = Math.floor(answers.length / 2);
  const qe = trainQe(answers.slice(0, half), answers.slice(half), config.pool.map((p) => p.model), config.clusters.length);
  cascade = {
    qe, qeBackend: 'learned', qeQuality: { auroc: 0.5, ece: 0, answers: half, calibration: qe.calibrator.kind }, ladder: [CHEAP, STRONG],
    answerKinds: config.clusters.map(() => 'numeric'),
    caps: { maxEscalations: 1, maxTotalTokens: null },
    frugal: { action: 'answer', model: STRONG },
  };
});
afterAll(async () => {
  await pool?.dispose();
});

const tierOf = (model: string) => (model === STRONG ? 'tiny-random' : 'stories260K');

describe('the Live path of a tuned config on real local tiers', () => {
  // A short GSM8K question: both tiny models have 512-token contexts.
  const short = () => log.queries.filter((q) => q.task === 'gsm8k').sort((a, b) => a.prompt.length - b.prompt.length)[0].prompt;

  it('a stage-1-only config routes to the cluster the config picks and answers once', async () => {
    const query = log.queries.find((q) => q.task === 'gsm8k')!.prompt;
    const expected = routeEmbedding(config, BuiltinEmbedder.fromState(config.embedder.state).embedOne(query));
    const events = await live(config, { prompt: query, maxTokens: 8 });
    const starts = ofType(events, 'live.passStart');
    const ends = ofType(events, 'live.passEnd');
    expect(ofType(events, 'stream.error')).toEqual([]);
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ cluster: expected.cluster, role: 'stage1', tier: tierOf(planModels(expected.plan)[0]) });
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ qeScore: null, escalate: false, reason: 'final' });
    expect(ends[0].stats.outputTokens).toBeGreaterThan(0);
  });

  it('with a cascade section the learned QE scores stage 1 and the router escalates below the threshold', async () => {
    const query = short();
    const events = await live(serving(config.clusters.map(() => ({ action: 'cascade', rungs: [CHEAP, STRONG], thresholds: [1] }))), { prompt: query, maxTokens: 8 });
    const ends = ofType(events, 'live.passEnd');
    expect(ofType(events, 'stream.error')).toEqual([]);
    expect(ends[0].tier).toBe('stories260K');
    expect(ends[0].qeScore).toBeGreaterThanOrEqual(0);
    expect(ends[0].qeScore).toBeLessThanOrEqual(1);
    expect(ends[0].escalate).toBe(ends[0].qeScore! < 1);
    if (ends[0].escalate) expect(events.at(-1)).toMatchObject({ type: 'live.done', finalTier: 'tiny-random', aborted: false });
    expect(ofType(events, 'live.token').length).toBeGreaterThan(0);

    const kept = ofType(await live(serving(config.clusters.map(() => ({ action: 'cascade', rungs: [CHEAP, STRONG], thresholds: [0] }))), { prompt: query, maxTokens: 8 }), 'live.passEnd');
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ escalate: false, reason: 'confident' });
  });

  it('reuses the loaded GGUF tiers across prompts: each model loads once, however many prompts run', async () => {
    const counted: string[] = [];
    const lent = tinyPool(config.pool.map((p) => p.model), (tier) => counted.push(tier));
    try {
      const always = serving(config.clusters.map(() => ({ action: 'cascade', rungs: [CHEAP, STRONG], thresholds: [1] })));
      for (let i = 0; i < 2; i++) {
        const events = await live(always, { prompt: short(), maxTokens: 4 }, lent);
        expect(ofType(events, 'stream.error')).toEqual([]);
      }
      // Both tiers of the ladder were loaded for the first prompt (and only then).
      expect(counted.sort()).toEqual(['stories260K', 'tiny-random']);
    } finally {
      await lent.dispose();
    }
  });
});

describe('the live cascade of a config tuned with a GGUF embedder', () => {
  let gguf: TunedConfig;
  let queries: Query[];
  let model: string;
  beforeAll(async () => {
    ({ config: gguf, queries, model } = await tuneWithGgufEmbedder());
  }, 180_000);
  // The shortest prompt of each task: both fit the tiny tiers' 512-token context.
  const shortest = (task: string) => queries.filter((x) => x.task === task).sort((a, b) => a.prompt.length - b.prompt.length)[0];

  it('routes with the embedder it is given, and refuses none or another one', async () => {
    const names = ['stories260K', 'tiny-random'];
    const map = Object.fromEntries(gguf.pool.map((p) => [p.model, tierOf(p.model)]));
    expect(() => TunedRouter.create('cascade', gguf, names, map, 'test')).toThrow(InvalidInputError);
    const other = await GgufEmbedder.create(resolve('../shared/models/llama-2-tiny-random.gguf'), { threads: 1 });
    const embedder = await GgufEmbedder.create(model, { threads: 1 });
    try {
      expect(() => TunedRouter.create('cascade', gguf, names, map, 'test', other)).toThrow(/llama-2-tiny-random.*tuned with gguf:stories260K/);
      const router = TunedRouter.create('cascade', gguf, names, map, 'test', embedder);
      for (const q of [shortest('gsm8k'), shortest('cruxeval')]) {
        const [vector] = await embedder.embed([q.prompt]);
        const decision = await router.route({ last: q.prompt, context: '' });
        expect(decision.cluster).toBe(routeEmbedding(gguf, vector).cluster);
        expect(decision.models[0]).toBe(planModels(routeEmbedding(gguf, vector).plan)[0]);
      }
    } finally {
      await Promise.all([embedder.dispose(), other.dispose()]);
    }
  });

  it("in the app's Live view: loads the embedder itself, and reaches a tier that stands for the routed model", async () => {
    const upstream = await startUpstream({ reply: 'The answer is 4.' });
    const events: AppEvent[] = [];
    try {
      const remote = PoolFileSchema.parse({ tiers: [{ kind: 'cloud', name: 'remote', baseUrl: upstream.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 1, standsFor: gguf.pool.map((p) => p.model) }] });
      const tiers = TierPool.lazy({ file: 'pool', baseDir: process.cwd(), pool: remote }, { env: {} });
      const q = shortest('gsm8k');
      await runLive({ streamId: 's1', tiers, config: gguf, signal: new AbortController().signal, emit: (e) => events.push(e), done: () => undefined }, { prompt: q.prompt, maxTokens: 8 });
      await tiers.dispose();
      const embedder = await GgufEmbedder.create(model, { threads: 1 });
      const [vector] = await embedder.embed([q.prompt]);
      await embedder.dispose();
      const start = events.find((e) => e.type === 'live.passStart');
      expect(events.find((e) => e.type === 'stream.error')).toBeUndefined();
      expect(start).toMatchObject({ tier: 'remote', cluster: routeEmbedding(gguf, vector).cluster });
      expect(events.at(-1)).toMatchObject({ type: 'live.done', finalTier: 'remote', text: 'The answer is 4.' });
    } finally {
      await upstream.close();
    }
  });
});
