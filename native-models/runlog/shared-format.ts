import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConflictError, DuplicatePairError, InvalidInputError, UnknownQueryError } from '../../core/errors.js';
import { ModelPriceSchema, parseOrThrow, renameModels, type ModelPrice, type ModelResponse, type Query, type RunLog, type UnansweredCell } from '../../core/runlog.js';
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
// One prices format for run logs and pools: the shared format's snake_case fields, or the pool
// file's camelCase ones, keyed by run-log model name; `aliases` gives models readable names.
const PriceEntry = z.object({
  model: z.string().min(1),
  usd_per_mtok_in: z.number().nonnegative().optional(),
  usd_per_mtok_out: z.number().nonnegative().optional(),
  usdPerMtokIn: z.number().nonnegative().optional(),
  usdPerMtokOut: z.number().nonnegative().optional(),
}).loose();
const PricesFile = z.object({
  models: z.array(PriceEntry).default([]),
  aliases: z.record(z.string().min(1), z.string().min(1)).default({}),
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

/** A prices file read: list prices and model aliases, both keyed by run-log model name. */
export interface PricesFileContent {
  prices: Record<string, ModelPrice>;
  aliases: Record<string, string>;
}

/** Reads a prices file (the shared format's `prices.json`, also what `--prices` takes). */
export function readPrices(file: TextFile): PricesFileContent {
  const prices: Record<string, ModelPrice> = {};
  const parsed = parseOrThrow(PricesFile, parseJsonFile(file), file.path);
  parsed.models.forEach((p, i) => {
    const price = { usdPerMtokIn: p.usd_per_mtok_in ?? p.usdPerMtokIn, usdPerMtokOut: p.usd_per_mtok_out ?? p.usdPerMtokOut };
    prices[p.model] = parseOrThrow(ModelPriceSchema, price, `${file.path}: models[${i}] ("${p.model}")`);
  });
  return { prices, aliases: parsed.aliases };
}

/**
 * Applies a prices file's content to a log: its prices replace the log's own for the models it
 * names (and `path` becomes their price source), and its aliases rename the log's models. Aliases
 * for models the log lacks are left out: one prices file may cover more models than one log has.
 */
export function withPrices(log: RunLog, { prices, aliases }: PricesFileContent, path: string): RunLog {
  const known = new Set(log.models);
  const mine = Object.fromEntries(Object.entries(aliases).filter(([from]) => known.has(from)));
  const priced: RunLog = {
    ...log,
    prices: { ...log.prices, ...prices },
    priceSources: { ...log.priceSources, ...Object.fromEntries(Object.keys(prices).map((m) => [m, path])) },
  };
  return renameModels(priced, mine, path);
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
  const hash = createHash('sha256');
  for (const f of [qFile, rFile, pFile]) if (f) hash.update(f.sha256);
  const log: RunLog = { queries, models, responses, prices: {}, sources: [{ path: dir, sha256: hash.digest('hex') }], tokensApproximate: false, ...(unanswered.length > 0 && { unanswered }) };
  return pFile ? withPrices(log, readPrices(pFile), pFile.path) : log;
}
