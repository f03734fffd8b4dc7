import { z } from 'zod';
import { ConflictError, InvalidInputError } from './errors.js';

/** One query of a run log. `reference` is the gold answer where the benchmark has one. */
export const QuerySchema = z.object({
  qid: z.string().min(1),
  task: z.string().min(1).default('default'),
  prompt: z.string(),
  reference: z.string().nullable().optional(),
  promptTokens: z.number().int().nonnegative().optional(),
});
export type Query = z.infer<typeof QuerySchema>;

/** Token log-probability summary of one answer, where the tier or log records them (a QE feature). */
export const LogprobSummarySchema = z.object({ mean: z.number(), min: z.number(), entropy: z.number().nonnegative() });
export type LogprobSummary = z.infer<typeof LogprobSummarySchema>;

/**
 * One model's graded answer to one query. A (query, model) pair with no response row
 * means the model did not answer: that is "unknown", never "wrong".
 */
export const ModelResponseSchema = z.object({
  qid: z.string().min(1),
  model: z.string().min(1),
  response: z.string(),
  answer: z.string().nullable(),
  correct: z.union([z.literal(0), z.literal(1)]),
  outputTokens: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
  ttftMs: z.number().nonnegative().optional(),
  tpotMs: z.number().nonnegative().optional(),
  latencyMs: z.number().nonnegative().optional(),
  logprobs: LogprobSummarySchema.optional(),
});
export type ModelResponse = z.infer<typeof ModelResponseSchema>;

/**
 * A (query, model) cell the model did not answer, and why (`context_length`, `content_filter`,
 * `bad_request`, `empty`, …), where the log records it. Like a missing response, it is unknown,
 * never wrong; the reason is only reported.
 */
export interface UnansweredCell {
  qid: string;
  model: string;
  reason: string;
}

/** List prices in USD per million tokens. */
export const ModelPriceSchema = z.object({ usdPerMtokIn: z.number().nonnegative(), usdPerMtokOut: z.number().nonnegative() });
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

export interface RunLogSource {
  /** Where the log came from, as the user named it. */
  path: string;
  /** sha256 of the source files' bytes, for provenance. */
  sha256: string;
}

/** Queries × models with answers and correctness: the engine's one input. */
export interface RunLog {
  queries: Query[];
  models: string[];
  responses: ModelResponse[];
  prices: Record<string, ModelPrice>;
  sources: RunLogSource[];
  /** True when some token counts were estimated with a tokenizer rather than recorded by the model. */
  tokensApproximate: boolean;
  /** Cells recorded as unanswered with a reason; cells with no response and no entry here are unanswered for no recorded reason. Defaults to none. */
  unanswered?: UnansweredCell[];
}

/** Formats a zod issue path as `field.sub[2]` for error messages. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') || '(root)';
}

/** Parses `value` with `schema`, or throws an InvalidInputError naming `where` and the first bad field. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new InvalidInputError(`field "${issuePath(issue.path)}": ${issue.message}`, where);
}

/**
 * Joins several run logs into one pool and workload: models match by name, queries by qid.
 * A qid whose prompt differs between logs, or a (qid, model) pair answered twice, is a conflict.
 */
export function joinRunLogs(logs: RunLog[]): RunLog {
  if (logs.length === 1) return logs[0];
  const queries = new Map<string, { query: Query; source: string }>();
  const seen = new Map<string, string>();
  const responses: ModelResponse[] = [];
  const models: string[] = [];
  const prices: Record<string, ModelPrice> = {};
  for (const log of logs) {
    const source = log.sources.map((s) => s.path).join(', ');
    for (const q of log.queries) {
      const prior = queries.get(q.qid);
      if (prior && prior.query.prompt !== q.prompt) {
        throw new ConflictError(`query "${q.qid}" has a different prompt than in ${prior.source}`, source);
      }
      if (!prior) queries.set(q.qid, { query: q, source });
    }
    for (const r of log.responses) {
      const key = `${r.qid}\u0000${r.model}`;
      const prior = seen.get(key);
      if (prior) throw new ConflictError(`duplicate (query, model) pair ("${r.qid}", "${r.model}"), also in ${prior}`, source);
      seen.set(key, source);
      responses.push(r);
    }
    for (const m of log.models) if (!models.includes(m)) models.push(m);
    Object.assign(prices, log.prices);
  }
  return {
    queries: [...queries.values()].map((v) => v.query),
    models,
    responses,
    prices,
    sources: logs.flatMap((l) => l.sources),
    tokensApproximate: logs.some((l) => l.tokensApproximate),
    ...(logs.some((l) => l.unanswered?.length) && { unanswered: logs.flatMap((l) => l.unanswered ?? []) }),
  };
}
