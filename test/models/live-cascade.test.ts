import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planModels, type CascadeConfig, type ClusterPlan } from '../../core/cascade/plan.js';
import { routeEmbedding, type TunedConfig } from '../../core/config.js';
import { BuiltinEmbedder } from '../../core/embed/tfidf.js';
import { trainQe, type LabelledAnswer } from '../../core/qe/model.js';
import type { RunLog } from '../../core/runlog.js';
import { tune } from '../../core/tune.js';
import { policyFromTunedConfig, runLiveCascade, type LiveCascadeEvent } from '../../native-models/live-cascade.js';
import { loadRunLog } from '../../native-models/runlog/load.js';
import { TierPool } from '../../native-models/tiers/pool.js';
import { GgufEmbedder } from '../../native-models/embedders/index.js';
import { InvalidInputError } from '../../core/errors.js';
import { tuneWithGgufEmbedder } from './serve-fixture.js';
import type { AppEvent } from '../../core/app-api.js';
import { PoolFileSchema } from '../../core/pool.js';
import type { Query } from '../../core/runlog.js';
import { runLive } from '../../server/app/streams.js';
import { start as startUpstream } from '../helpers/openai-upstream.js';

// A config tuned on the shared data, run for real on the two tiny GGUF tiers: every run-log
// model the config names is answered by one of them (their answers are nonsense; the wiring is real).
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

beforeAll(async () => {
  pool = await TierPool.open('fixtures/pools/tiny-local.json');
  log = await loadRunLog(resolve('../shared/data/zeroeval-gsm8k-crux'));
  config = (await tune(log, { seed: 0, k: 4, cascade: false })).config;
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

const tierFor = (model: string) => pool.get(model === STRONG ? 'tiny-random' : 'stories260K');

describe('the live cascade of a tuned config on real local tiers', () => {
  it('a stage-1-only config routes to the cluster the config picks and answers once', async () => {
    const policy = policyFromTunedConfig(config);
    const query = log.queries.find((q) => q.task === 'gsm8k')!.prompt;
    const expected = routeEmbedding(config, BuiltinEmbedder.fromState(config.embedder.state).embedOne(query));
    const trace = await runLiveCascade(query, policy, { tierFor, request: { maxTokens: 8 } });
    expect(trace.cluster).toBe(expected.cluster);
    expect(trace.plan).toBe('answer');
    expect(trace.passes).toHaveLength(1);
    expect(trace.passes[0].model).toBe(planModels(expected.plan)[0]);
    expect(trace.qe).toBeNull();
    expect(trace.escalated).toBe(false);
    expect(trace.passes[0].result.outputTokens).toBeGreaterThan(0);
  });

  it('with a cascade section the learned QE scores stage 1 and decide escalates below the threshold', async () => {
    const policy = policyFromTunedConfig(serving(config.clusters.map(() => ({ action: 'cascade', rungs: [CHEAP, STRONG], thresholds: [1] }))));
    const events: LiveCascadeEvent[] = [];
    // A short GSM8K question: both tiny models have 512-token contexts.
    const query = log.queries.filter((q) => q.task === 'gsm8k').sort((a, b) => a.prompt.length - b.prompt.length)[0].prompt;
    const trace = await runLiveCascade(query, policy, { tierFor, request: { maxTokens: 8 }, onEvent: (e) => events.push(e) });
    expect(trace.plan).toBe('cascade');
    expect(trace.stage1Tier).toBe('stories260K');
    expect(trace.qe).toBeGreaterThanOrEqual(0);
    expect(trace.qe).toBeLessThanOrEqual(1);
    expect(trace.threshold).toBe(1);
    expect(trace.escalated).toBe(trace.qe! < 1);
    if (trace.escalated) {
      expect(trace.finalTier).toBe('tiny-random');
      expect(trace.passes[1].result.logprobs?.entropy).toBeGreaterThan(0);
    }
    expect(events.at(-1)).toEqual({ type: 'done', trace });
    expect(events.filter((e) => e.type === 'token').length).toBeGreaterThan(0);

    const never = policyFromTunedConfig(serving(config.clusters.map(() => ({ action: 'cascade', rungs: [CHEAP, STRONG], thresholds: [0] }))));
    const kept = await runLiveCascade(query, never, { tierFor, request: { maxTokens: 8 } });
    expect(kept.escalated).toBe(false);
    expect(kept.decision).toEqual({ kind: 'accept', reason: 'confident' });
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
    expect(() => policyFromTunedConfig(gguf)).toThrow(InvalidInputError);
    const other = await GgufEmbedder.create(resolve('../shared/models/llama-2-tiny-random.gguf'), { threads: 1 });
    const embedder = await GgufEmbedder.create(model, { threads: 1 });
    try {
      expect(() => policyFromTunedConfig(gguf, other)).toThrow(/llama-2-tiny-random.*tuned with gguf:stories260K/);
      const policy = policyFromTunedConfig(gguf, embedder);
      for (const q of [shortest('gsm8k'), shortest('cruxeval')]) {
        const [vector] = await embedder.embed([q.prompt]);
        const trace = await runLiveCascade(q.prompt, policy, { tierFor, request: { maxTokens: 1 } });
        expect(trace.cluster).toBe(routeEmbedding(gguf, vector).cluster);
        expect(trace.passes[0].model).toBe(planModels(routeEmbedding(gguf, vector).plan)[0]);
      }
    } finally {
      await Promise.all([embedder.dispose(), other.dispose()]);
    }
  });

  it("in the app's Live view: loads the embedder itself, and reaches a tier that stands for the routed model", async () => {
    const upstream = await startUpstream({ reply: 'The answer is 4.' });
    const events: AppEvent[] = [];
    try {
      const pool = PoolFileSchema.parse({ tiers: [{ kind: 'cloud', name: 'remote', baseUrl: upstream.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 1, standsFor: gguf.pool.map((p) => p.model) }] });
      const q = shortest('gsm8k');
      await runLive({ streamId: 's1', pool, baseDir: process.cwd(), env: {}, config: gguf, signal: new AbortController().signal, emit: (e) => events.push(e), done: () => undefined }, { prompt: q.prompt, maxTokens: 8 });
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
