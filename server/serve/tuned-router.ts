import type { TunedConfig } from '../../core/config.js';
import { routeEmbedding } from '../../core/config.js';
import { BuiltinEmbedder } from '../../core/embed/tfidf.js';
import type { GenerationResult } from '../../core/tier.js';
import { ConfigRejectedError } from './errors.js';
import type { CascadeDecision, CascadeRouter, RoutingText } from './router.js';

/** How much the latest user turn counts against the system prompt and earlier turns when both are there. */
const LAST_TURN_WEIGHT = 0.7;

/**
 * Maps the config's run-log models onto pool tiers: an explicit `tierMap` entry wins, else a
 * tier of the same name. Throws naming any map entry that points nowhere.
 */
export function mapModels(config: TunedConfig, tierNames: readonly string[], tierMap: Record<string, string>, where: string): Map<string, string> {
  const models = new Set(config.pool.map((p) => p.model));
  const tiers = new Set(tierNames);
  for (const [model, tier] of Object.entries(tierMap)) {
    if (!models.has(model)) throw new ConfigRejectedError(`the tier map names model "${model}", which the config's pool does not have (it has ${[...models].join(', ')})`, where);
    if (!tiers.has(tier)) throw new ConfigRejectedError(`the tier map sends model "${model}" to tier "${tier}", which the pool file does not list (it has ${tierNames.join(', ')})`, where);
  }
  const out = new Map<string, string>();
  for (const model of models) {
    const tier = tierMap[model] ?? (tiers.has(model) ? model : undefined);
    if (tier) out.set(model, tier);
  }
  return out;
}

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/**
 * The router of a tuned config: embeds the conversation, picks the nearest cluster, and
 * routes it to the model the operating point assigns, mapped onto a pool tier. The ladder
 * after the stage-1 tier climbs through the stronger mapped tiers (by train accuracy), then
 * falls back through the weaker ones, so a failed tier always has somewhere to go.
 */
export class TunedRouter implements CascadeRouter {
  readonly name: string;
  readonly tiers: readonly string[];
  readonly #config: TunedConfig;
  readonly #embedder: BuiltinEmbedder;
  readonly #modelTier: Map<string, string>;
  /** Mapped models, strongest first, one per tier (the strongest model a tier stands for). */
  readonly #byStrength: { model: string; tier: string; accuracy: number }[];

  private constructor(name: string, config: TunedConfig, embedder: BuiltinEmbedder, modelTier: Map<string, string>) {
    this.name = name;
    this.#config = config;
    this.#embedder = embedder;
    this.#modelTier = modelTier;
    const seen = new Set<string>();
    this.#byStrength = config.pool
      .filter((p) => modelTier.has(p.model))
      .sort((a, b) => b.accuracy - a.accuracy || a.meanCost - b.meanCost)
      .map((p) => ({ model: p.model, tier: modelTier.get(p.model)!, accuracy: p.accuracy }))
      .filter((e) => !seen.has(e.tier) && (seen.add(e.tier), true));
    this.tiers = this.#byStrength.map((e) => e.tier);
  }

  /**
   * Builds the router; refuses a config whose embedder serve cannot run, or whose operating
   * point routes some cluster to a model no tier stands for.
   */
  static create(name: string, config: TunedConfig, tierNames: readonly string[], tierMap: Record<string, string>, where: string): TunedRouter {
    if (config.embedder.spec.kind !== 'builtin' || config.embedder.state === null) {
      throw new ConfigRejectedError(`serve runs the built-in embedder only; this config uses "${config.embedder.spec.kind}"`, `${where}: embedder.spec`);
    }
    const embedder = BuiltinEmbedder.fromState(config.embedder.state, `${where}: embedder.state`);
    if (embedder.id !== config.embedder.id) throw new ConfigRejectedError(`the rebuilt embedder's id ${embedder.id} differs from the fitted one ${config.embedder.id}`, `${where}: embedder.id`);
    const modelTier = mapModels(config, tierNames, tierMap, where);
    const region = config.regions[config.operatingPoint.region];
    const unmapped = [...new Set(region.route.map((m) => config.pool[m].model))].filter((m) => !modelTier.has(m));
    if (unmapped.length > 0) {
      throw new ConfigRejectedError(`the operating point routes to ${unmapped.map((m) => `"${m}"`).join(', ')}, which no pool tier stands for: name a tier after it or map it (--map MODEL=TIER)`, where);
    }
    return new TunedRouter(name, config, embedder, modelTier);
  }

  embed(text: RoutingText): Float32Array {
    const last = this.#embedder.embedOne(text.last);
    if (text.context === '') return last;
    const context = this.#embedder.embedOne(text.context);
    const out = new Float32Array(last.length);
    for (let i = 0; i < out.length; i++) out[i] = LAST_TURN_WEIGHT * last[i] + (1 - LAST_TURN_WEIGHT) * context[i];
    return normalise(out);
  }

  async route(text: RoutingText): Promise<CascadeDecision> {
    const { cluster, model } = routeEmbedding(this.#config, this.embed(text));
    return { cluster, ...this.ladderFrom(model), gate: false, threshold: null };
  }

  async score(_decision: CascadeDecision, _text: RoutingText, _result: GenerationResult): Promise<number> {
    return 1;
  }

  /** The ladder from `model`'s tier: the stronger tiers upwards, then the weaker ones downwards. */
  private ladderFrom(model: string): { ladder: string[]; models: string[] } {
    const tier = this.#modelTier.get(model)!;
    const at = this.#byStrength.findIndex((e) => e.tier === tier);
    const order = [{ model, tier }, ...this.#byStrength.slice(0, at).reverse(), ...this.#byStrength.slice(at + 1)];
    return { ladder: order.map((e) => e.tier), models: order.map((e) => e.model) };
  }
}
