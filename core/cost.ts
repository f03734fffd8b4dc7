import { z } from 'zod';
import { InvalidInputError, UnsatisfiableError } from './errors.js';
import type { ModelPrice, RunLog } from './runlog.js';
import { cellIndex, type Workload } from './workload.js';

/** What a query costs: dollars, output tokens, time per output token, or end-to-end latency. */
export const CostMetricSchema = z.enum(['usd', 'tokens', 'tpot', 'latency']);
export type CostMetric = z.infer<typeof CostMetricSchema>;

/** Units of each metric, for tables and error messages. */
export const COST_UNITS: Record<CostMetric, string> = { usd: 'USD', tokens: 'output tokens', tpot: 'ms/token', latency: 'ms' };

/** Per-model figures from a pool file, used where the run log has no per-query figure. */
export const ModelCostFiguresSchema = z.object({
  tpotMs: z.number().nonnegative().optional(),
  latencyMs: z.number().nonnegative().optional(),
  usdPerMtokIn: z.number().nonnegative().optional(),
  usdPerMtokOut: z.number().nonnegative().optional(),
});
export type ModelCostFigures = z.infer<typeof ModelCostFiguresSchema>;

export interface Pricing {
  /** List prices from the run log's prices.json. Defaults to `{}`. */
  prices?: Record<string, ModelPrice>;
  /** Per-model figures from a pool file; they take precedence over `prices`. Defaults to `{}`. */
  perModel?: Record<string, ModelCostFigures>;
}

function usdPrice(model: string, pricing: Pricing): { in: number; out: number } | undefined {
  const fig = pricing.perModel?.[model];
  if (fig?.usdPerMtokIn !== undefined && fig.usdPerMtokOut !== undefined) return { in: fig.usdPerMtokIn, out: fig.usdPerMtokOut };
  const p = pricing.prices?.[model];
  return p && { in: p.usdPerMtokIn, out: p.usdPerMtokOut };
}

/**
 * The cost of every (query, model) cell under `metric`, laid out like `w.correct`.
 * Per-query figures recorded in the log win; otherwise the pool's per-model figure is used.
 * Unanswered cells get NaN (they are excluded everywhere, like their correctness).
 * A needed figure that neither the log nor the pricing has is an UnsatisfiableError naming model and metric.
 */
export function costMatrix(w: Workload, metric: CostMetric, pricing: Pricing = {}): Float64Array {
  const Q = w.qids.length;
  const M = w.models.length;
  const out = new Float64Array(Q * M).fill(Number.NaN);
  for (let m = 0; m < M; m++) {
    const model = w.models[m];
    const price = metric === 'usd' ? usdPrice(model, pricing) : undefined;
    const fallback = metric === 'tpot' ? pricing.perModel?.[model]?.tpotMs : metric === 'latency' ? pricing.perModel?.[model]?.latencyMs : undefined;
    for (let q = 0; q < Q; q++) {
      const i = cellIndex(w, q, m);
      if (w.correct[i] === -1) continue;
      let c: number;
      switch (metric) {
        case 'usd':
          c = w.costUsd[i];
          if (Number.isNaN(c)) {
            if (!price) throw new UnsatisfiableError(`no USD price for model "${model}" (metric usd): add it to a prices file (--prices FILE, or prices.json beside the run log) or the pool file`, `model "${model}"`);
            const pt = w.promptTokens[q];
            const ot = w.outputTokens[i];
            if (Number.isNaN(pt) || Number.isNaN(ot)) {
              throw new InvalidInputError(`query "${w.qids[q]}" has no ${Number.isNaN(pt) ? 'prompt' : 'output'} token count, needed for the usd metric`, `model "${model}"`);
            }
            c = (pt * price.in + ot * price.out) / 1e6;
          }
          break;
        case 'tokens':
          c = w.outputTokens[i];
          if (Number.isNaN(c)) throw new InvalidInputError(`query "${w.qids[q]}" has no output token count (metric tokens)`, `model "${model}"`);
          break;
        case 'tpot':
        case 'latency':
          c = metric === 'tpot' ? w.tpotMs[i] : w.latencyMs[i];
          if (Number.isNaN(c)) {
            if (fallback === undefined) {
              throw new UnsatisfiableError(`no ${metric === 'tpot' ? 'TPOT' : 'latency'} figure for model "${model}" (metric ${metric}): the run log has none for query "${w.qids[q]}" and the pool gives no ${metric === 'tpot' ? 'tpotMs' : 'latencyMs'}`, `model "${model}"`);
            }
            c = fallback;
          }
          break;
      }
      out[i] = c;
    }
  }
  return out;
}

/** Refuses pricing entries for models the pool does not have (a typo would silently price nothing). */
export function checkPricingModels(pricing: Pricing, models: readonly string[], where: string): void {
  const known = new Set(models);
  for (const model of Object.keys(pricing.perModel ?? {})) {
    if (!known.has(model)) throw new InvalidInputError(`unknown model "${model}" in pricing (pool: ${models.join(', ')}); name the tier like a run-log model or list the models it answers for in its standsFor`, where);
  }
}

/** Where a run's cost figures come from, per model, for reports: the figures are only as good as their source. */
export interface CostSource {
  metric: CostMetric;
  unit: string;
  /** Per model: the file or field its figures come from. */
  models: Record<string, string>;
  /** True when some token counts (and so any cost computed from them) are tokenizer estimates. */
  tokensApproximate: boolean;
  /** The vocabulary of those estimates, when known. */
  tokenizer: string | null;
}

/** Per-model figures keyed by run-log model (a pool file's tiers, a tuned config's pool), with where each came from. */
export interface PoolPricing {
  perModel: Record<string, ModelCostFigures>;
  /** Per model: where its figures came from, e.g. `pool pool.json (tier "x")`. */
  sourceOf: Record<string, string>;
}

/**
 * Names where each model's cost under `metric` comes from, in the precedence costMatrix applies:
 * per-query figures recorded in the log, then the pool's tier, then the log's list prices (a
 * prices file). A model with none is listed as such; costMatrix is what refuses it.
 */
export function describeCostSource(log: RunLog, metric: CostMetric, pool?: PoolPricing): CostSource {
  const recorded = (model: string, field: 'costUsd' | 'tpotMs' | 'latencyMs') => {
    const rs = log.responses.filter((r) => r.model === model);
    return rs.length > 0 && rs.every((r) => r[field] !== undefined);
  };
  const estimate = log.tokensApproximate ? ` × token counts estimated with ${log.tokenizer ?? 'a tokenizer'}` : ' × recorded token counts';
  const fromPool = (model: string) => pool?.sourceOf[model] ?? 'the pool';
  const models: Record<string, string> = {};
  for (const model of log.models) {
    const fig = pool?.perModel[model];
    switch (metric) {
      case 'usd':
        if (recorded(model, 'costUsd')) models[model] = 'cost_usd recorded in the run log';
        else if (fig?.usdPerMtokIn !== undefined && fig.usdPerMtokOut !== undefined) models[model] = `list price from ${fromPool(model)}${estimate}`;
        else if (log.prices[model]) models[model] = `list price from ${log.priceSources?.[model] ?? 'the run log'}${estimate}`;
        else models[model] = 'no price';
        break;
      case 'tokens':
        models[model] = log.tokensApproximate ? `output tokens estimated with ${log.tokenizer ?? 'a tokenizer'}` : 'output tokens recorded in the run log';
        break;
      case 'tpot':
      case 'latency': {
        const field = metric === 'tpot' ? 'tpotMs' : 'latencyMs';
        models[model] = recorded(model, field) ? `${field} recorded in the run log` : fig?.[field] !== undefined ? `${field} from ${fromPool(model)}` : `no ${field}`;
        break;
      }
    }
  }
  return { metric, unit: COST_UNITS[metric], models, tokensApproximate: log.tokensApproximate, tokenizer: log.tokenizer ?? null };
}
