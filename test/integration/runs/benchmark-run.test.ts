import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, DisposedError, InvalidInputError, MissingColumnError } from '../../../core/errors.js';
import { CloudTierSpecSchema } from '../../../core/pool.js';
import type { RunEvent } from '../../../native-models/runs/benchmark-runner.js';
import { BenchmarkRun } from '../../../native-models/runs/benchmark-runner.js';
import { loadBenchmark } from '../../../native-models/runs/benchmark.js';
import { RunFailedError } from '../../../native-models/runs/errors.js';
import { exportSharedFormat } from '../../../native-models/runs/export.js';
import { RunStore } from '../../../native-models/runs/run-store.js';
import { unansweredByModel } from '../../../core/unanswered.js';
import { buildWorkload } from '../../../core/workload.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';
import { CloudTier } from '../../../native-models/tiers/cloud-tier.js';
import { start, type Upstream } from '../../helpers/openai-upstream.js';

const dir = mkdtempSync(join(tmpdir(), 'cascade-runs-'));
let upstream: Upstream;
let tier: CloudTier;

function csv(name: string, rows: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

// Ten GSM8K-style questions; the server always answers "The answer is 42.", so qids 3 and 7 are right.
const benchPath = () => csv('bench.csv', ['qid,task,prompt,reference', ...Array.from({ length: 10 }, (_, i) => `q${i},gsm8k,"What is ${i} + 1?",${i === 3 || i === 7 ? 42 : i + 1}`)]);

beforeAll(async () => {
  upstream = await start({ reply: 'The answer is 42.', tokenDelayMs: 1 });
  tier = await CloudTier.create(CloudTierSpecSchema.parse({ kind: 'cloud', name: 'up', baseUrl: upstream.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 2, retry: { maxRetries: 0 } }));
});
afterAll(async () => {
  await tier.dispose();
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('benchmarks', () => {
  it('reads a CSV, the shared-data folder and a questions.jsonl file', async () => {
    const b = await loadBenchmark(benchPath());
    expect(b.queries).toHaveLength(10);
    expect(b.queries[3]).toEqual({ qid: 'q3', task: 'gsm8k', prompt: 'What is 3 + 1?', reference: '42' });
    const shared = await loadBenchmark('../shared/data/zeroeval-gsm8k-crux');
    expect(shared.queries).toHaveLength(2119);
    expect(shared.queries[0].qid).toBe('gsm8k/0');
    const jsonl = join(dir, 'questions.jsonl');
    writeFileSync(jsonl, '{"qid": "a", "task": "t", "prompt": "p", "reference": 5}\n');
    expect((await loadBenchmark(jsonl)).queries[0]).toMatchObject({ qid: 'a', reference: '5' });
  });

  it('bad benchmarks are typed errors naming the file', async () => {
    await expect(loadBenchmark(csv('noprompt.csv', ['qid,reference', 'a,1']))).rejects.toThrow(MissingColumnError);
    await expect(loadBenchmark(csv('dup.csv', ['qid,prompt', 'a,x', 'a,y']))).rejects.toThrow(/dup\.csv:3: field "qid": duplicate query "a"/);
    await expect(loadBenchmark(join(dir, 'absent.csv'))).rejects.toThrow(InvalidInputError);
  });
});

describe('benchmark runs over a tier', () => {
  it('grades and stores every answer with its measurements, emits progress events, and exports a loadable run log', async () => {
    const bench = await loadBenchmark(benchPath());
    const store = RunStore.open(join(dir, 'a', 'runs.sqlite'));
    store.ensureRun('bench', bench);
    store.recordTier('bench', 'up', { usdPerMtokIn: 1, usdPerMtokOut: 2 }, 'model "m" at the test upstream');
    const run = BenchmarkRun.start({ store, runId: 'bench', tier, concurrency: 3 });
    const events: RunEvent[] = [];
    const iterated = (async () => {
      for await (const e of run.events()) events.push(e);
    })();
    const summary = await run.done;
    await iterated;
    expect(summary).toMatchObject({ done: 10, total: 10, answered: 10, failed: 0, aborted: false });
    expect(summary.accuracy).toBeCloseTo(0.2, 12);
    expect(events[0]).toMatchObject({ type: 'start', total: 10, done: 0 });
    expect(events.filter((e) => e.type === 'answer')).toHaveLength(10);
    expect(events.at(-1)!.type).toBe('finish');
    const last = events.filter((e) => e.type === 'answer').at(-1)!;
    expect(last.type === 'answer' && last.done).toBe(10);
    expect(last.type === 'answer' && last.ratePerS).toBeGreaterThan(0);

    const stored = store.answers('bench');
    expect(stored).toHaveLength(10);
    expect(stored.find((a) => a.qid === 'q3')).toMatchObject({ answer: '42', correct: 1 });
    expect(stored[0].result.outputTokens).toBe(4);
    expect(stored[0].result.costUsd).toBeGreaterThan(0);
    expect(stored[0].result.logprobs?.mean).toBeCloseTo(-0.25, 9);

    const out = join(dir, 'a', 'export');
    await exportSharedFormat(store.toRunLog('bench'), out);
    const log = await loadRunLog(out, { countTokens: false });
    expect(log.models).toEqual(['up']);
    expect(log.queries).toHaveLength(10);
    expect(log.responses.filter((r) => r.correct === 1).map((r) => r.qid)).toEqual(['q3', 'q7']);
    expect(log.responses[0].tpotMs).toBeGreaterThanOrEqual(0);
    expect(log.prices.up).toEqual({ usdPerMtokIn: 1, usdPerMtokOut: 2 });
    store.close();
    store.close();
    expect(() => store.answers('bench')).toThrow(DisposedError);
  });

  it('pauses (no new queries start), resumes, and a second run redoes nothing', async () => {
    const bench = await loadBenchmark(benchPath());
    const store = RunStore.open(join(dir, 'b', 'runs.sqlite'));
    store.ensureRun('bench', bench);
    const run = BenchmarkRun.start({ store, runId: 'bench', tier, concurrency: 1 });
    let pausedAt = -1;
    run.on('event', (e) => {
      if (e.type === 'answer' && e.done === 4) {
        run.pause();
        pausedAt = e.done;
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(run.paused).toBe(true);
    expect(store.countDone('bench', 'up')).toBe(pausedAt);
    const requests = upstream.requests;
    await new Promise((r) => setTimeout(r, 200));
    expect(upstream.requests).toBe(requests);
    run.resume();
    expect((await run.done).done).toBe(10);
    const again = BenchmarkRun.start({ store, runId: 'bench', tier });
    const before = upstream.requests;
    expect(await again.done).toMatchObject({ done: 10, answered: 10, doneThisSession: 0 });
    expect(upstream.requests).toBe(before);
    expect(store.recordAnswer('bench', store.answers('bench')[0])).toBe(false);
    expect(store.countDone('bench')).toBe(10);
    store.close();
  });

  it('resuming a run id against other benchmark contents is a ConflictError', async () => {
    const store = RunStore.open(join(dir, 'c', 'runs.sqlite'));
    store.ensureRun('x', await loadBenchmark(benchPath()));
    const other = await loadBenchmark(csv('other.csv', ['prompt,reference', 'hello,1']));
    expect(() => store.ensureRun('x', other)).toThrow(ConflictError);
    store.close();
  });

  it('a tier that keeps failing stops the run with RunFailedError naming the tier and how to resume, keeping what was stored', async () => {
    const bench = await loadBenchmark(benchPath());
    const store = RunStore.open(join(dir, 'd', 'runs.sqlite'));
    store.ensureRun('bench', bench);
    const run = BenchmarkRun.start({ store, runId: 'bench', tier, maxConsecutiveFailures: 2 });
    run.on('event', (e) => {
      if (e.type === 'answer' && e.done === 3) upstream.setBehaviour({ kind: 'status', status: 500 });
    });
    try {
      const err = await run.done.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunFailedError);
      expect((err as Error).message).toMatch(/tier "up": 2 calls failed in a row on the tier's side, so the run stopped; the last: .*HTTP 500.*3 of 10 queries are finished and stored; once the tier is back, start the run again with the same run id to resume/);
      expect(store.countDone('bench')).toBe(3);
      expect(store.unanswered('bench')).toEqual([]);
    } finally {
      upstream.setBehaviour({ kind: 'ok' });
    }
    const resumed = await BenchmarkRun.start({ store, runId: 'bench', tier }).done;
    expect(resumed).toMatchObject({ done: 10, answered: 10, doneThisSession: 7, failed: 0 });
    store.close();
  });

  it('a query the tier refuses (a 4xx naming the request) is stored as unanswered with its reason, and the run goes on', async () => {
    const bench = await loadBenchmark(benchPath());
    const store = RunStore.open(join(dir, 'f', 'runs.sqlite'));
    store.ensureRun('bench', bench);
    store.recordTier('bench', 'up', { usdPerMtokIn: 1, usdPerMtokOut: 2 }, 'model "m" at the test upstream');
    // Every 2xx answer is followed by one refusal of the next request: five of the ten queries are refused.
    const refusals: { status: number; message?: string }[] = [
      { status: 400, message: "This model's maximum context length is 512 tokens. However, your messages resulted in 530 tokens." },
      { status: 400, message: 'The response was filtered due to the prompt triggering the content management policy.' },
      { status: 422 },
      { status: 413, message: 'request too large' },
      { status: 400, message: "This model's maximum context length is 512 tokens." },
    ];
    const run = BenchmarkRun.start({ store, runId: 'bench', tier, maxConsecutiveFailures: 1 });
    const unanswered: RunEvent[] = [];
    run.on('event', (e) => {
      if (e.type === 'unanswered') unanswered.push(e);
      const next = e.type === 'answer' ? refusals.shift() : undefined;
      if (next) upstream.setBehaviour({ kind: 'status', times: 1, ...next });
    });
    const summary = await run.done;
    expect(summary).toMatchObject({ done: 10, total: 10, answered: 5, failed: 0, aborted: false, unanswered: { context_length: 2, content_filter: 1, bad_request: 2 } });
    expect(summary.correct).toBe(summary.accuracy * 5);
    expect(summary.outputTokens).toBe(5 * 4);
    expect(summary.ttftMsMedian).toBeGreaterThan(0);
    expect(summary.elapsedS).toBeGreaterThan(0);
    expect(unanswered.map((e) => e.type === 'unanswered' && e.qid)).toEqual(['q1', 'q3', 'q5', 'q7', 'q9']);
    expect(store.unanswered('bench').map((u) => [u.qid, u.reason])).toEqual([['q1', 'context_length'], ['q3', 'content_filter'], ['q5', 'bad_request'], ['q7', 'bad_request'], ['q9', 'context_length']]);
    expect(store.unanswered('bench')[2].message).toMatch(/HTTP 422/);

    // A resumed run sends nothing again: an unanswered query is finished.
    const before = upstream.requests;
    expect(await BenchmarkRun.start({ store, runId: 'bench', tier }).done).toMatchObject({ done: 10, doneThisSession: 0 });
    expect(upstream.requests).toBe(before);

    const out = join(dir, 'f', 'export');
    await exportSharedFormat(store.toRunLog('bench'), out);
    const log = await loadRunLog(out, { countTokens: false });
    expect(log.responses.map((r) => r.qid)).toEqual(['q0', 'q2', 'q4', 'q6', 'q8']);
    expect(log.unanswered).toEqual([
      { qid: 'q1', model: 'up', reason: 'context_length' }, { qid: 'q3', model: 'up', reason: 'content_filter' },
      { qid: 'q5', model: 'up', reason: 'bad_request' }, { qid: 'q7', model: 'up', reason: 'bad_request' }, { qid: 'q9', model: 'up', reason: 'context_length' },
    ]);
    expect(unansweredByModel(log)).toEqual([{ model: 'up', unanswered: 5, byReason: { context_length: 2, content_filter: 1, bad_request: 2 } }]);
    // The engine sees the unanswered cells as unknown (-1), never as wrong.
    const w = buildWorkload(log);
    expect([...w.correct].filter((c) => c === -1)).toHaveLength(5);
    store.close();
  });

  it('an empty output is unanswered (reason empty); a 401 is the tier\'s failure, not the query\'s', async () => {
    const silent = await start({ reply: '' });
    const quiet = await CloudTier.create(CloudTierSpecSchema.parse({ kind: 'cloud', name: 'quiet', baseUrl: silent.url, model: 'm', usdPerMtokIn: 0, usdPerMtokOut: 0, retry: { maxRetries: 0 } }));
    try {
      const bench = await loadBenchmark(benchPath());
      const store = RunStore.open(join(dir, 'h', 'runs.sqlite'));
      store.ensureRun('bench', bench);
      silent.setBehaviour({ kind: 'status', status: 401, times: 1, message: 'Incorrect API key provided' });
      const err = await BenchmarkRun.start({ store, runId: 'bench', tier: quiet, maxConsecutiveFailures: 1 }).done.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunFailedError);
      expect((err as Error).message).toMatch(/HTTP 401: .*Incorrect API key.*0 of 10 queries are finished/);
      const summary = await BenchmarkRun.start({ store, runId: 'bench', tier: quiet }).done;
      expect(summary).toMatchObject({ done: 10, answered: 0, unanswered: { empty: 10 }, failed: 0, accuracy: 0, ttftMsMedian: null, tpotMsMedian: null });
      store.close();
    } finally {
      await quiet.dispose();
      await silent.close();
    }
  });

  it('with context overflow set to fail, a prompt that does not fit stops the run at once', async () => {
    const bench = await loadBenchmark(benchPath());
    const store = RunStore.open(join(dir, 'g', 'runs.sqlite'));
    store.ensureRun('bench', bench);
    const run = BenchmarkRun.start({ store, runId: 'bench', tier, contextOverflow: 'fail' });
    run.on('event', (e) => {
      if (e.type === 'answer' && e.done === 2) upstream.setBehaviour({ kind: 'status', status: 400, times: 1, message: "This model's maximum context length is 512 tokens." });
    });
    const err = await run.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFailedError);
    expect((err as Error).message).toMatch(/tier "up": query "q2" does not fit and context overflow is set to fail/);
    expect(store.countDone('bench')).toBe(2);
    store.close();
  });

  it('stop() abandons the rest; the stored answers stay', async () => {
    const bench = await loadBenchmark(benchPath());
    const store = RunStore.open(join(dir, 'e', 'runs.sqlite'));
    store.ensureRun('bench', bench);
    const run = BenchmarkRun.start({ store, runId: 'bench', tier });
    run.on('event', (e) => {
      if (e.type === 'answer' && e.done === 2) void run.stop();
    });
    const summary = await run.done;
    expect(summary.aborted).toBe(true);
    expect(summary.done).toBeGreaterThanOrEqual(2);
    expect(summary.done).toBeLessThan(10);
    expect(store.countDone('bench')).toBe(summary.done);
    store.close();
  });
});
