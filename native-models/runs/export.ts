import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import writeFileAtomic from 'write-file-atomic';
import type { RunLog } from '../../core/runlog.js';

const jsonLines = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/** The files of an exported run log, in the order they are written. */
const FILES = ['questions.jsonl.gz', 'responses.jsonl.gz', 'prices.json', 'models.json'] as const;

/** Whether `dir` holds a whole export (each file is written atomically, so a crash leaves some missing, never one cut short). */
export function hasExport(dir: string): boolean {
  return FILES.every((name) => existsSync(join(dir, name)));
}

/**
 * Writes a run log as a ../shared/data folder (questions.jsonl.gz, responses.jsonl.gz,
 * prices.json, models.json), each file atomically, so the engine can tune on it. Measured
 * timings go in `ttft_ms`, `tpot_ms`, `latency_ms`, and the real per-query cost in `cost_usd`;
 * an unanswered cell is a line with `correct: null` and `unanswered_reason`.
 */
export async function exportSharedFormat(log: RunLog, dir: string, note = 'Recorded by cascade-lab run'): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const questions = log.queries.map((q) => ({
    qid: q.qid, task: q.task, prompt: q.prompt, reference: q.reference ?? null,
    ...(q.promptTokens !== undefined && { prompt_tokens: q.promptTokens }),
  }));
  const answered = log.responses.map((r) => ({
    qid: r.qid, model: r.model, response: r.response, answer: r.answer, correct: r.correct,
    ...(r.outputTokens !== undefined && { output_tokens: r.outputTokens }),
    ...(r.costUsd !== undefined && { cost_usd: r.costUsd }),
    ...(r.ttftMs !== undefined && { ttft_ms: r.ttftMs }),
    ...(r.tpotMs !== undefined && { tpot_ms: r.tpotMs }),
    ...(r.latencyMs !== undefined && { latency_ms: r.latencyMs }),
    ...(r.logprobs && { logprob_mean: r.logprobs.mean, logprob_min: r.logprobs.min, logprob_entropy: r.logprobs.entropy }),
  }));
  // An unanswered cell is a line with `correct: null` and its reason (read back as no response: unknown, never wrong).
  const unanswered = (log.unanswered ?? []).map((u) => ({ qid: u.qid, model: u.model, response: '', answer: null, correct: null, unanswered_reason: u.reason }));
  const order = new Map(log.queries.map((q, i) => [q.qid, i]));
  const modelOrder = new Map(log.models.map((m, i) => [m, i]));
  const responses = [...answered, ...unanswered].sort((a, b) => (modelOrder.get(a.model) ?? 0) - (modelOrder.get(b.model) ?? 0) || (order.get(a.qid) ?? 0) - (order.get(b.qid) ?? 0));
  const prices = {
    note: `${note}: the pool file's prices per million tokens.`,
    models: Object.entries(log.prices).map(([model, p]) => ({ model, usd_per_mtok_in: p.usdPerMtokIn, usd_per_mtok_out: p.usdPerMtokOut, basis: 'pool file' })),
  };
  const taskOf = new Map(log.queries.map((q) => [q.qid, q.task]));
  const tally = new Map<string, { model: string; task: string; right: number; n: number }>();
  for (const r of log.responses) {
    const task = taskOf.get(r.qid) ?? 'default';
    const key = `${r.model}\u0000${task}`;
    const t = tally.get(key) ?? { model: r.model, task, right: 0, n: 0 };
    t.right += r.correct;
    t.n++;
    tally.set(key, t);
  }
  const models = [...tally.values()].map((t) => ({
    model: t.model, task: t.task, source_name: t.model, published_accuracy: null, your_accuracy: (100 * t.right) / t.n, n: t.n,
  }));
  // gzip from node:zlib writes mtime 0, as the shared format asks.
  const data: (Buffer | string)[] = [gzipSync(jsonLines(questions)), gzipSync(jsonLines(responses)), `${JSON.stringify(prices, null, 2)}\n`, `${JSON.stringify(models, null, 2)}\n`];
  for (const [i, name] of FILES.entries()) await writeFileAtomic(join(dir, name), data[i]);
  return FILES.map((name) => join(dir, name));
}
