import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { InvalidInputError, ConflictError } from '../../core/errors.js';
import { ModelPriceSchema, parseOrThrow, type ModelPrice, type ModelResponse, type Query, type RunLog } from '../../core/runlog.js';

// The on-disk names of ../shared/data (snake_case); mapped to the core's names below.
const QuestionLine = z.object({
  qid: z.string().min(1),
  task: z.string().min(1),
  prompt: z.string(),
  reference: z.string().nullable().optional(),
  prompt_tokens: z.number().int().nonnegative().optional(),
});
const ResponseLine = z.object({
  qid: z.string().min(1),
  model: z.string().min(1),
  response: z.string(),
  answer: z.string().nullable(),
  correct: z.union([z.literal(0), z.literal(1)]),
  output_tokens: z.number().int().nonnegative().optional(),
  cost_usd: z.number().nonnegative().optional(),
  ttft_ms: z.number().nonnegative().optional(),
  tpot_ms: z.number().nonnegative().optional(),
  latency_ms: z.number().nonnegative().optional(),
});
const PricesFile = z.object({
  models: z.array(z.object({ model: z.string().min(1), usd_per_mtok_in: z.number().nonnegative(), usd_per_mtok_out: z.number().nonnegative() }).loose()),
}).loose();

/** Reads a JSONL file (gzip when the name ends in .gz) and yields each parsed line with its 1-based number. */
export function* readJsonLines(path: string): Generator<{ line: number; value: unknown }> {
  const bytes = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  let line = 0;
  for (const raw of text.split('\n')) {
    line++;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new InvalidInputError(`malformed JSON (${(err as Error).message})`, `${path}:${line}`);
    }
    yield { line, value };
  }
}

function firstExisting(dir: string, names: string[]): string | undefined {
  return names.map((n) => join(dir, n)).find((p) => existsSync(p));
}

/** Loads a folder in the ../shared/data format (questions, responses, optional prices.json). */
export function loadSharedFormat(dir: string): RunLog {
  const qPath = firstExisting(dir, ['questions.jsonl.gz', 'questions.jsonl']);
  const rPath = firstExisting(dir, ['responses.jsonl.gz', 'responses.jsonl']);
  if (!qPath || !rPath) throw new InvalidInputError('not a run-log folder: expected questions.jsonl[.gz] and responses.jsonl[.gz]', dir);
  const hash = createHash('sha256');
  const queries: Query[] = [];
  const known = new Set<string>();
  for (const { line, value } of readJsonLines(qPath)) {
    const q = parseOrThrow(QuestionLine, value, `${qPath}:${line}`);
    if (known.has(q.qid)) throw new ConflictError(`duplicate query "${q.qid}"`, `${qPath}:${line}`);
    known.add(q.qid);
    queries.push({ qid: q.qid, task: q.task, prompt: q.prompt, reference: q.reference ?? null, ...(q.prompt_tokens !== undefined && { promptTokens: q.prompt_tokens }) });
  }
  const responses: ModelResponse[] = [];
  const models: string[] = [];
  const pairs = new Set<string>();
  for (const { line, value } of readJsonLines(rPath)) {
    const where = `${rPath}:${line}`;
    const r = parseOrThrow(ResponseLine, value, where);
    if (!known.has(r.qid)) throw new InvalidInputError(`field "qid": response for unknown query "${r.qid}"`, where);
    const key = `${r.qid}\u0000${r.model}`;
    if (pairs.has(key)) throw new ConflictError(`field "model": duplicate (query, model) pair ("${r.qid}", "${r.model}")`, where);
    pairs.add(key);
    if (!models.includes(r.model)) models.push(r.model);
    responses.push({
      qid: r.qid, model: r.model, response: r.response, answer: r.answer, correct: r.correct,
      ...(r.output_tokens !== undefined && { outputTokens: r.output_tokens }),
      ...(r.cost_usd !== undefined && { costUsd: r.cost_usd }),
      ...(r.ttft_ms !== undefined && { ttftMs: r.ttft_ms }),
      ...(r.tpot_ms !== undefined && { tpotMs: r.tpot_ms }),
      ...(r.latency_ms !== undefined && { latencyMs: r.latency_ms }),
    });
  }
  const prices: Record<string, ModelPrice> = {};
  const pPath = join(dir, 'prices.json');
  if (existsSync(pPath)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(pPath, 'utf8'));
    } catch (err) {
      throw new InvalidInputError(`malformed JSON (${(err as Error).message})`, pPath);
    }
    for (const p of parseOrThrow(PricesFile, raw, pPath).models) {
      prices[p.model] = ModelPriceSchema.parse({ usdPerMtokIn: p.usd_per_mtok_in, usdPerMtokOut: p.usd_per_mtok_out });
    }
    hash.update(readFileSync(pPath));
  }
  hash.update(readFileSync(qPath)).update(readFileSync(rPath));
  return { queries, models, responses, prices, sources: [{ path: dir, sha256: hash.digest('hex') }], tokensApproximate: false };
}
