import { z } from 'zod';
import { ConflictError, UnknownTierError } from './errors.js';
import { BackendSchema, type Backend } from './hardware.js';
import { parseOrThrow, type ModelPrice } from './runlog.js';

/** Sampling defaults of a tier; a request's own settings win. */
export const SamplingDefaultsSchema = z.object({
  /** Defaults to `0` (greedy). */
  temperature: z.number().min(0).max(2).default(0),
  /** Defaults to none (no nucleus cut). */
  topP: z.number().gt(0).max(1).optional(),
  /** Defaults to `256`. */
  maxTokens: z.number().int().positive().default(256),
  /** Defaults to none (the tier's own seed). */
  seed: z.number().int().optional(),
  /** Defaults to `[]`. */
  stop: z.array(z.string().min(1)).default([]),
}).strict();
export type SamplingDefaults = z.infer<typeof SamplingDefaultsSchema>;

const PriceFields = {
  /** USD per million input tokens. Defaults to `0` for a local tier; required for a cloud tier. */
  usdPerMtokIn: z.number().nonnegative(),
  /** USD per million output tokens. Defaults to `0` for a local tier; required for a cloud tier. */
  usdPerMtokOut: z.number().nonnegative(),
};

/** Declared speed figures, used by the cost step where a run log records none. */
const DeclaredSpeed = {
  /** Time per output token, ms. Defaults to none (measure it with `pool check`). */
  tpotMs: z.number().nonnegative().optional(),
  /** End-to-end latency of a typical query, ms. Defaults to none. */
  latencyMs: z.number().nonnegative().optional(),
};

const TierName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/, 'a tier name is letters, digits and . _ : / @ - (no spaces)');

/**
 * The run-log models a tier answers for when a tuned config routes to them (a tier always
 * stands for the model of its own name too). Defaults to none.
 */
const StandsFor = z.array(z.string().min(1)).optional();

/** A GGUF model run in-process through node-llama-cpp. */
export const LocalTierSpecSchema = z.object({
  kind: z.literal('local'),
  name: TierName,
  standsFor: StandsFor,
  /**
   * A GGUF file path (relative paths are relative to the pool file) or a node-llama-cpp model URI
   * (`hf:user/repo/file.gguf`, `https://…`), resolved by node-llama-cpp's own resolver.
   */
  model: z.string().min(1),
  /** Folder a model URI is resolved from and downloaded to (relative to the pool file). Defaults to node-llama-cpp's (`~/.node-llama-cpp/models`). */
  modelsDir: z.string().min(1).optional(),
  /** Download a model URI's file that is not in `modelsDir` yet; `false` fails at once instead. Defaults to `true`. */
  download: z.boolean().default(true),
  /**
   * A call whose prompt plus its `maxTokens` exceeds the context: `"error"` refuses it (as OpenAI
   * and vLLM do, so `serve` fails over to a tier with room), `"clip"` generates what fits.
   * Defaults to `"error"`.
   */
  contextOverflow: z.enum(['error', 'clip']).default('error'),
  /** Layers to offload to the GPU: a count, `"auto"` or `"max"`. Defaults to `"auto"`. */
  gpuLayers: z.union([z.literal('auto'), z.literal('max'), z.number().int().nonnegative()]).default('auto'),
  /** Context size in tokens (shared by all concurrent sequences). Defaults to `2048`. */
  contextSize: z.number().int().min(32).default(2048),
  /** CPU threads. Defaults to the Llama instance's `cpuMathCores` (never its `maxThreads`). */
  threads: z.number().int().positive().optional(),
  /** Batch size in tokens. Defaults to node-llama-cpp's choice. */
  batchSize: z.number().int().positive().optional(),
  /** Calls served at once, each on its own context sequence. Defaults to `1`. */
  concurrency: z.number().int().positive().max(64).default(1),
  /** Defaults to `{temperature: 0, maxTokens: 256, stop: []}`. */
  sampling: SamplingDefaultsSchema.default({ temperature: 0, maxTokens: 256, stop: [] }),
  usdPerMtokIn: PriceFields.usdPerMtokIn.default(0),
  usdPerMtokOut: PriceFields.usdPerMtokOut.default(0),
  ...DeclaredSpeed,
  /** The backend that measured `tpotMs` (`pool check --json` gives it as each check's `offload.backend`); a tuned config records it. Defaults to none. */
  tpotBackend: BackendSchema.optional(),
}).strict();
export type LocalTierSpec = z.infer<typeof LocalTierSpecSchema>;

/** Retry policy of a cloud tier: retried on 429, 5xx and refused connections, never after output began. */
export const RetryPolicySchema = z.object({
  /** Retries after the first try. Defaults to `2`. */
  maxRetries: z.number().int().min(0).max(10).default(2),
  /** First backoff delay, ms; doubled each retry, with jitter. Defaults to `500`. */
  initialDelayMs: z.number().int().nonnegative().default(500),
  /** Longest backoff delay, ms (also caps a server's Retry-After). Defaults to `8000`. */
  maxDelayMs: z.number().int().nonnegative().default(8000),
}).strict();
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/** An OpenAI-compatible HTTP endpoint. The API key is read from an environment variable, never from the file. */
export const CloudTierSpecSchema = z.object({
  kind: z.literal('cloud'),
  name: TierName,
  standsFor: StandsFor,
  /** Base URL including the version path, e.g. `https://api.openai.com/v1`. */
  baseUrl: z.string().url(),
  /** The model name the endpoint expects. */
  model: z.string().min(1),
  /** Name of the environment variable that holds the API key. Defaults to none (no key sent). */
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name, not the key itself').optional(),
  ...PriceFields,
  /** Calls in flight at once. Defaults to `4`. */
  concurrency: z.number().int().positive().max(256).default(4),
  /** Longest wait for the first byte and between streamed chunks, ms. Defaults to `60000`. */
  timeoutMs: z.number().int().positive().default(60_000),
  /** Defaults to `{maxRetries: 2, initialDelayMs: 500, maxDelayMs: 8000}`. */
  retry: RetryPolicySchema.default({ maxRetries: 2, initialDelayMs: 500, maxDelayMs: 8000 }),
  /** Defaults to `{temperature: 0, maxTokens: 256, stop: []}`. */
  sampling: SamplingDefaultsSchema.default({ temperature: 0, maxTokens: 256, stop: [] }),
  ...DeclaredSpeed,
}).strict();
export type CloudTierSpec = z.infer<typeof CloudTierSpecSchema>;

export const TierSpecSchema = z.discriminatedUnion('kind', [LocalTierSpecSchema, CloudTierSpecSchema]);
export type TierSpec = z.infer<typeof TierSpecSchema>;
/** A tier spec as written in a file, before defaults. */
export type TierSpecInput = z.input<typeof TierSpecSchema>;

/** A pool file: the tiers a run or a cascade may use, each independent of the others. */
export const PoolFileSchema = z.object({
  /** Format version. Defaults to `1`. */
  version: z.literal(1).default(1),
  tiers: z.array(TierSpecSchema).min(1, 'a pool needs at least one tier'),
}).strict();
export type PoolFile = z.infer<typeof PoolFileSchema>;

/**
 * Parses a pool file's JSON value; `where` names the file in errors. Tier names must be unique,
 * and no run-log model may be stood for by two tiers.
 */
export function parsePoolFile(value: unknown, where: string): PoolFile {
  const pool = parseOrThrow(PoolFileSchema, value, where);
  const seen = new Set<string>();
  pool.tiers.forEach((t, i) => {
    if (seen.has(t.name)) throw new ConflictError(`field "tiers[${i}].name": tier "${t.name}" is listed twice`, where);
    seen.add(t.name);
  });
  const standing = new Map<string, string>();
  pool.tiers.forEach((t, i) => {
    (t.standsFor ?? []).forEach((model, j) => {
      const other = standing.get(model) ?? (model !== t.name && seen.has(model) ? model : undefined);
      if (other !== undefined && other !== t.name) throw new ConflictError(`field "tiers[${i}].standsFor[${j}]": model "${model}" already has tier "${other}"`, where);
      standing.set(model, t.name);
    });
  });
  return pool;
}

/**
 * Which pool tier answers for each run-log model: an `overrides` entry first, then the tier whose
 * `standsFor` lists the model, then the tier of the model's own name. Models with none are left out.
 */
export function tiersForModels(models: Iterable<string>, tiers: readonly Pick<TierSpec, 'name' | 'standsFor'>[], overrides: Readonly<Record<string, string>> = {}): Map<string, string> {
  const named = new Set(tiers.map((t) => t.name));
  const standing = new Map(tiers.flatMap((t) => (t.standsFor ?? []).map((m) => [m, t.name] as const)));
  const out = new Map<string, string>();
  for (const model of models) {
    const tier = overrides[model] ?? standing.get(model) ?? (named.has(model) ? model : undefined);
    if (tier !== undefined) out.set(model, tier);
  }
  return out;
}

/**
 * The tier that answers for each run-log model (see tiersForModels), under its name or, for a renamed
 * model, its run-log name in `originalNames`. Models no tier stands for are left out.
 */
export function tierOfModels(pool: PoolFile, models: readonly string[], originalNames: Readonly<Record<string, string>> = {}): Record<string, string> {
  const direct = tiersForModels(models, pool.tiers);
  const original = tiersForModels(models.map((m) => originalNames[m] ?? m), pool.tiers);
  const out: Record<string, string> = {};
  for (const m of models) {
    const tier = direct.get(m) ?? original.get(originalNames[m] ?? m);
    if (tier !== undefined) out[m] = tier;
  }
  return out;
}

/**
 * Cost figures per run-log model: each model priced as the tier that stands for it, so a pool whose
 * tiers use `standsFor` prices the models it serves. Models no tier stands for are left out.
 */
export function modelCostFigures(pool: PoolFile, models: readonly string[], originalNames: Readonly<Record<string, string>> = {}): Record<string, TierCostFigures> {
  const byTier = poolCostFigures(pool);
  return Object.fromEntries(Object.entries(tierOfModels(pool, models, originalNames)).map(([model, tier]) => [model, byTier[tier]]));
}

/** The tier of that name; an UnknownTierError naming `where` and the tiers the pool has otherwise. */
export function findTierSpec(pool: PoolFile, name: string, where: string): TierSpec {
  const spec = pool.tiers.find((t) => t.name === name);
  if (!spec) throw new UnknownTierError(`no tier "${name}" in the pool (it has: ${pool.tiers.map((t) => t.name).join(', ')})`, where);
  return spec;
}

/** Dollar price of one call with these token counts. */
export function callCostUsd(spec: Pick<TierSpec, 'usdPerMtokIn' | 'usdPerMtokOut'>, inputTokens: number, outputTokens: number): number {
  return (inputTokens * spec.usdPerMtokIn + outputTokens * spec.usdPerMtokOut) / 1e6;
}

/** The pool's list prices, keyed by tier name, in the run log's price shape. */
export function poolPrices(pool: PoolFile): Record<string, ModelPrice> {
  return Object.fromEntries(pool.tiers.map((t) => [t.name, { usdPerMtokIn: t.usdPerMtokIn, usdPerMtokOut: t.usdPerMtokOut }]));
}

/** The backend that measured each local tier's declared TPOT, by tier name; tiers without one are left out. */
export function poolTpotBackends(pool: PoolFile): Record<string, Backend> {
  return Object.fromEntries(pool.tiers.flatMap((t) => (t.kind === 'local' && t.tpotMs !== undefined && t.tpotBackend !== undefined ? [[t.name, t.tpotBackend]] : [])));
}

/** Per-tier price and speed figures, the shape of core/cost.ts's `ModelCostFigures`. */
export interface TierCostFigures {
  usdPerMtokIn: number;
  usdPerMtokOut: number;
  tpotMs?: number;
  latencyMs?: number;
}

/**
 * Per-tier figures for the engine's cost step (`costMatrix(w, metric, {perModel})`): the declared
 * prices and speeds, overridden by `measured` figures (from `pool check` or a run) where given.
 */
export function poolCostFigures(pool: PoolFile, measured: Record<string, { tpotMs?: number; latencyMs?: number }> = {}): Record<string, TierCostFigures> {
  return Object.fromEntries(pool.tiers.map((t) => {
    const m = measured[t.name] ?? {};
    const tpotMs = m.tpotMs ?? t.tpotMs;
    const latencyMs = m.latencyMs ?? t.latencyMs;
    return [t.name, {
      usdPerMtokIn: t.usdPerMtokIn,
      usdPerMtokOut: t.usdPerMtokOut,
      ...(tpotMs !== undefined && { tpotMs }),
      ...(latencyMs !== undefined && { latencyMs }),
    }];
  }));
}
