import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConflictError, DuplicatePairError, InvalidInputError, UnknownQueryError } from '../../core/errors.js';
import { ModelPriceSchema, parseOrThrow, type ModelPrice, type ModelResponse, type Query, type RunLog, type UnansweredCell } from '../../core/runlog.js';
import { NO_REASON_RECORDED } from '../../core/unanswered.js';
import { parseJsonFile, parseJsonLines, readTextFile, type TextFile } from './text-file.js';

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
  // null: the model did not answer (as an empty `correct` cell in a table); `unanswered_reason` says why.
  correct: z.union([z.literal(0), z.literal(1), z.null()]),
  unanswered_reason: z.string().min(1).optional(),
  output_tokens: z.number().int().nonnegative().optional(),
  cost_usd: z.number().nonnegative().optional(),
  ttft_ms: z.number().nonnegative().optional(),
  tpot_ms: z.number().nonnegative().optional(),
  latency_ms: z.number().nonnegative().optional(),
});
const PricesFile = z.object({
  models: z.array(z.object({ model: z.string().min(1), usd_per_mtok_in: z.number().nonnegative(), usd_per_mtok_out: z.number().nonnegative() }).loose()),
}).loose();

/** The file names of a folder in the shared format, `.gz` preferred. */
export function sharedFormatFiles(dir: string): { questions: string; responses: string } | null {
  const pick = (stem: string) => [`${stem}.jsonl.gz`, `${stem}.jsonl`].map((n) => join(dir, n)).find((p) => existsSync(p));
  const questions = pick('questions');
  const responses = pick('responses');
  return questions && responses ? { questions, responses } : null;
}

function readQueries(file: TextFile): Query[] {
  const queries: Query[] = [];
  const seen = new Map<string, number>();
  for (const { line, value } of parseJsonLines(file)) {
    const where = `${file.path}:${line}`;
    const q = parseOrThrow(QuestionLine, value, where);
    const prior = seen.get(q.qid);
    if (prior !== undefined) throw new ConflictError(`field "qid": duplicate query "${q.qid}" (first on line ${prior})`, where);
    seen.set(q.qid, line);
    queries.push({ qid: q.qid, task: q.task, prompt: q.prompt, reference: q.reference ?? null, ...(q.prompt_tokens !== undefined && { promptTokens: q.prompt_tokens }) });
  }
  return queries;
}

function readResponses(file: TextFile, known: ReadonlySet<string>): { responses: ModelResponse[]; models: string[]; unanswered: UnansweredCell[] } {
  const responses: ModelResponse[] = [];
  const unanswered: UnansweredCell[] = [];
  const models = new Set<string>();
  const pairs = new Map<string, number>();
  for (const { line, value } of parseJsonLines(file)) {
    const where = `${file.path}:${line}`;
    const r = parseOrThrow(ResponseLine, value, where);
    if (!known.has(r.qid)) throw new UnknownQueryError(`field "qid": response for unknown query "${r.qid}" (not in the questions file)`, where);
    const key = `${r.qid}\u0000${r.model}`;
    const prior = pairs.get(key);
    if (prior !== undefined) throw new DuplicatePairError(`field "model": duplicate (query, model) pair ("${r.qid}", "${r.model}"), first on line ${prior}`, where);
    pairs.set(key, line);
    models.add(r.model);
    if (r.correct === null) {
      unanswered.push({ qid: r.qid, model: r.model, reason: r.unanswered_reason ?? NO_REASON_RECORDED });
      continue;
    }
    if (r.unanswered_reason !== undefined) throw new InvalidInputError('field "unanswered_reason": given for an answered line (correct is 0 or 1)', where);
    responses.push({
      qid: r.qid,
      model: r.model,
      response: r.response,
      answer: r.answer,
      correct: r.correct,
      ...(r.output_tokens !== undefined && { outputTokens: r.output_tokens }),
      ...(r.cost_usd !== undefined && { costUsd: r.cost_usd }),
      ...(r.ttft_ms !== undefined && { ttftMs: r.ttft_ms }),
      ...(r.tpot_ms !== undefined && { tpotMs: r.tpot_ms }),
      ...(r.latency_ms !== undefined && { latencyMs: r.latency_ms }),
    });
  }
  return { responses, models: [...models], unanswered };
}

/** Reads `prices.json` of the shared format into the core's price table. */
export function readPrices(file: TextFile): Record<string, ModelPrice> {
  const prices: Record<string, ModelPrice> = {};
  const parsed = parseOrThrow(PricesFile, parseJsonFile(file), file.path);
  parsed.models.forEach((p, i) => {
    prices[p.model] = parseOrThrow(ModelPriceSchema, { usdPerMtokIn: p.usd_per_mtok_in, usdPerMtokOut: p.usd_per_mtok_out }, `${file.path}: models[${i}]`);
  });
  return prices;
}

/**
 * Loads a folder in the ../shared/data format: questions.jsonl[.gz], responses.jsonl[.gz] and an
 * optional prices.json. A (query, model) pair with no response line, or one with `correct: null`
 * (and optionally `unanswered_reason`), means the model did not answer.
 */
export async function loadSharedFormat(dir: string): Promise<RunLog> {
  const files = sharedFormatFiles(dir);
  if (!files) throw new InvalidInputError('not a run-log folder: expected questions.jsonl[.gz] and responses.jsonl[.gz]', dir);
  const pricesPath = join(dir, 'prices.json');
  const [qFile, rFile, pFile] = await Promise.all([
    readTextFile(files.questions),
    readTextFile(files.responses),
    existsSync(pricesPath) ? readTextFile(pricesPath) : Promise.resolve(null),
  ]);
  const queries = readQueries(qFile);
  const { responses, models, unanswered } = readResponses(rFile, new Set(queries.map((q) => q.qid)));
  const prices = pFile ? readPrices(pFile) : {};
  const hash = createHash('sha256');
  for (const f of [qFile, rFile, pFile]) if (f) hash.update(f.sha256);
  return { queries, models, responses, prices, sources: [{ path: dir, sha256: hash.digest('hex') }], tokensApproximate: false, ...(unanswered.length > 0 && { unanswered }) };
}
