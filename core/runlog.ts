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
  /** The vocabulary that estimated them (`o200k_base`), when `tokensApproximate`. Defaults to none. */
  tokenizer?: string;
  /** Where each model's list price came from (a prices file's path), for the report's cost source. Defaults to `{}`. */
  priceSources?: Record<string, string>;
  /** What the loader changed or chose that the user should see (prompts kept on a join, say). Defaults to `[]`. */
  notes?: string[];
  /** The run-log name of each renamed model, keyed by its new name (see renameModels). Defaults to `{}`. */
  originalNames?: Record<string, string>;
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
 * A qid that appears with another prompt in a later log (lm-eval runs of one task under different
 * chat templates, say) keeps the first log's prompt and the difference is reported in `notes`;
 * a qid whose task differs, or a (qid, model) pair answered twice, is a conflict.
 */
export function joinRunLogs(logs: RunLog[]): RunLog {
  if (logs.length === 1) return logs[0];
  const queries = new Map<string, { query: Query; source: string }>();
  const seen = new Map<string, string>();
  const responses: ModelResponse[] = [];
  const models: string[] = [];
  const prices: Record<string, ModelPrice> = {};
  const priceSources: Record<string, string> = {};
  const notes = logs.flatMap((l) => l.notes ?? []);
  const promptDiffs = new Map<string, { count: number; first: string; kept: string }>();
  for (const log of logs) {
    const source = log.sources.map((s) => s.path).join(', ');
    for (const q of log.queries) {
      const prior = queries.get(q.qid);
      if (!prior) {
        queries.set(q.qid, { query: q, source });
        continue;
      }
      if (prior.query.task !== q.task) {
        throw new ConflictError(`query "${q.qid}" has task "${q.task}" here but "${prior.query.task}" in ${prior.source}`, source);
      }
      if (prior.query.prompt !== q.prompt) {
        const diff = promptDiffs.get(source) ?? { count: 0, first: q.qid, kept: prior.source };
        diff.count++;
        promptDiffs.set(source, diff);
      }
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
    Object.assign(priceSources, log.priceSources);
  }
  for (const [source, d] of promptDiffs) {
    notes.push(`${d.count} ${d.count === 1 ? 'query has' : 'queries have'} a different prompt in ${source} than in ${d.kept} (first: "${d.first}"); queries join by id and keep the prompt of ${d.kept}`);
  }
  const tokenizer = logs.find((l) => l.tokenizer)?.tokenizer;
  return {
    queries: [...queries.values()].map((v) => v.query),
    models,
    responses,
    prices,
    sources: logs.flatMap((l) => l.sources),
    tokensApproximate: logs.some((l) => l.tokensApproximate),
    ...(logs.some((l) => l.unanswered?.length) && { unanswered: logs.flatMap((l) => l.unanswered ?? []) }),
    ...(tokenizer && { tokenizer }),
    ...(Object.keys(priceSources).length > 0 && { priceSources }),
    ...(notes.length > 0 && { notes }),
    ...(logs.some((l) => l.originalNames) && { originalNames: Object.assign({}, ...logs.map((l) => l.originalNames)) as Record<string, string> }),
  };
}

/**
 * Renames models by `aliases` (run-log name → readable name): responses, model list, prices and
 * their sources. A price keyed by either name applies. An alias for a model the log lacks, or two
 * models given one name, is an error naming `where`.
 */
export function renameModels(log: RunLog, aliases: Readonly<Record<string, string>>, where: string): RunLog {
  const entries = Object.entries(aliases);
  if (entries.length === 0) return log;
  const known = new Set(log.models);
  for (const [from, to] of entries) {
    if (!known.has(from)) throw new InvalidInputError(`alias for unknown model "${from}" (the run log has ${log.models.map((m) => `"${m}"`).join(', ')})`, where);
    if (to !== from && known.has(to) && !(to in aliases)) throw new ConflictError(`alias "${to}" for model "${from}" is already the name of another model`, where);
  }
  const rename = (m: string) => aliases[m] ?? m;
  const models = log.models.map(rename);
  const twice = models.find((m, i) => models.indexOf(m) !== i);
  if (twice !== undefined) throw new ConflictError(`two models are given the name "${twice}"`, where);
  const rekey = <T>(table: Record<string, T> | undefined): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const [m, v] of Object.entries(table ?? {})) if (!(rename(m) in out) || m !== rename(m)) out[rename(m)] = v;
    return out;
  };
  // Notes quote model names: they follow the rename too.
  const notes = log.notes?.map((n) => entries.reduce((text, [from, to]) => text.replaceAll(`"${from}"`, `"${to}"`), n));
  return {
    ...log,
    models,
    responses: log.responses.map((r) => (r.model in aliases ? { ...r, model: rename(r.model) } : r)),
    prices: rekey(log.prices),
    ...(log.priceSources && { priceSources: rekey(log.priceSources) }),
    ...(notes && { notes }),
    originalNames: { ...log.originalNames, ...Object.fromEntries(entries.map(([from, to]) => [to, log.originalNames?.[from] ?? from])) },
  };
}
