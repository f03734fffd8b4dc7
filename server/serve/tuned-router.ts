import { decide, planModels, type CascadeConfig, type ClusterPlan } from '../../core/cascade/plan.js';
import { routeEmbedding, servedPlans, type TunedConfig } from '../../core/config.js';
import { configEmbedder, type EmbedTexts } from '../../core/embed/config-embedder.js';
import type { Embedder } from '../../core/embedder.js';
import { InvalidInputError } from '../../core/errors.js';
import { extractFinalAnswer } from '../../core/extract.js';
import { answersAgree } from '../../core/graders.js';
import { DENSE_FEATURES } from '../../core/qe/features.js';
import { LearnedQe } from '../../core/qe/model.js';
import type { GenerationResult } from '../../core/tier.js';
import { ConfigRejectedError } from './errors.js';
import type { CascadeDecision, CascadeRouter, RoutingText, Verdict } from './router.js';

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

/** Every run-log model the config's routing may call at its operating point (each needs a tier to serve). */
export function modelsCalled(config: TunedConfig): string[] {
  return [...new Set(servedPlans(config).flatMap(planModels))];
}

/** The models a plan may call, in order (stage 1 first); the agreement partner is apart. */
function planRungs(plan: ClusterPlan): { rungs: string[]; partner: string | null; threshold: number | null } {
  switch (plan.action) {
    case 'answer':
      return { rungs: [plan.model], partner: null, threshold: null };
    case 'cascade':
      return { rungs: plan.rungs, partner: null, threshold: plan.thresholds[0] };
    case 'agree':
      return { rungs: [plan.model, plan.escalateTo], partner: plan.partner, threshold: plan.threshold };
  }
}

/**
 * The router of a tuned config: embeds the conversation, picks the nearest cluster, and
 * follows that cluster's plan in the operating region, with every run-log model mapped onto a pool tier. After the plan's rungs the ladder
 * goes on through the other mapped tiers, stronger ones first, so a tier that is down always
 * has somewhere to fail over to.
 */
export class TunedRouter implements CascadeRouter {
  readonly name: string;
  readonly tiers: readonly string[];
  readonly wantsLogprobs: boolean;
  readonly #config: TunedConfig;
  readonly #cascade: CascadeConfig | null;
  readonly #qe: LearnedQe | null;
  readonly #embed: EmbedTexts;
  readonly #modelTier: Map<string, string>;
  /** Mapped models, strongest first, one per tier (the strongest model a tier stands for). */
  readonly #byStrength: { model: string; tier: string }[];
  /** Per cluster, the decision without its per-request parts; built once, copied per request. */
  readonly #decisions: CascadeDecision[];
  /** Per cluster, the operating region's plan. */
  readonly #plans: ClusterPlan[];

  private constructor(name: string, config: TunedConfig, cascade: CascadeConfig | null, embed: EmbedTexts, modelTier: Map<string, string>) {
    this.name = name;
    this.#config = config;
    this.#cascade = cascade;
    this.#qe = cascade ? new LearnedQe(cascade.qe) : null;
    this.wantsLogprobs = cascade !== null && cascade.qe.spec.denseMean[DENSE_FEATURES.indexOf('hasLogprobs')] > 0;
    this.#embed = embed;
    this.#modelTier = modelTier;
    const seen = new Set<string>();
    this.#byStrength = [...config.pool]
      .filter((p) => modelTier.has(p.model))
      .sort((a, b) => b.accuracy - a.accuracy || a.meanCost - b.meanCost)
      .map((p) => ({ model: p.model, tier: modelTier.get(p.model)! }))
      .filter((e) => !seen.has(e.tier) && (seen.add(e.tier), true));
    this.tiers = this.#byStrength.map((e) => e.tier);
    this.#plans = servedPlans(config);
    this.#decisions = this.#plans.map((plan, c) => this.#plannedDecision(c, plan));
  }

  /**
   * Builds the router. The built-in embedder is rebuilt from the config's fitted state; a GGUF
   * or OpenAI-compatible one is the caller's (`embedder`, whose id must be the fitted one).
   * Refuses a config whose plans name a model no pool tier stands for.
   */
  static create(name: string, config: TunedConfig, tierNames: readonly string[], tierMap: Record<string, string>, where: string, embedder?: Embedder): TunedRouter {
    let embed: EmbedTexts;
    try {
      embed = configEmbedder(config, embedder, where);
    } catch (err) {
      throw err instanceof InvalidInputError ? new ConfigRejectedError(err.message) : err;
    }
    // parseTunedConfig already checked the section against the clusters and the pool.
    const cascade = config.cascade;
    const modelTier = mapModels(config, tierNames, tierMap, where);
    const unmapped = modelsCalled(config).filter((m) => !modelTier.has(m));
    if (unmapped.length > 0) {
      throw new ConfigRejectedError(`the config's plans call ${unmapped.map((m) => `"${m}"`).join(', ')}, which no pool tier stands for: name a tier after each, or map it (--map MODEL=TIER)`, where);
    }
    return new TunedRouter(name, config, cascade, embed, modelTier);
  }

  #plannedDecision(cluster: number, plan: ClusterPlan): CascadeDecision {
    const { rungs, partner, threshold } = planRungs(plan);
    const ladder = rungs.map((m) => this.#modelTier.get(m)!);
    const models = [...rungs];
    // Failover only: the other mapped tiers, the strongest first.
    for (const e of this.#byStrength) {
      if (!ladder.includes(e.tier)) {
        ladder.push(e.tier);
        models.push(e.model);
      }
    }
    return {
      cluster,
      plan: plan.action,
      ladder,
      models,
      rungs: rungs.length,
      partner: partner === null ? null : this.#modelTier.get(partner)!,
      gate: rungs.length > 1,
      threshold,
    };
  }

  /** The routing embedding: the last user turn, blended with the context when there is one. */
  async embed(text: RoutingText): Promise<Float32Array> {
    const pending = this.#embed(text.context === '' ? [text.last] : [text.last, text.context]);
    const [last, context] = Array.isArray(pending) ? pending : await pending;
    if (context === undefined) return last;
    const out = new Float32Array(last.length);
    for (let i = 0; i < out.length; i++) out[i] = LAST_TURN_WEIGHT * last[i] + (1 - LAST_TURN_WEIGHT) * context[i];
    return normalise(out);
  }

  async route(text: RoutingText): Promise<CascadeDecision> {
    const { cluster } = routeEmbedding(this.#config, await this.embed(text));
    const d = this.#decisions[cluster];
    return { ...d, ladder: [...d.ladder], models: [...d.models] };
  }

  async judge(decision: CascadeDecision, text: RoutingText, step: number, answer: GenerationResult, partner: GenerationResult | null, tokensSoFar: number): Promise<Verdict> {
    const cascade = this.#cascade;
    if (!cascade || !this.#qe) return { qe: null, agree: null, escalate: false };
    const plan = this.#plans[decision.cluster];
    const kind = cascade.answerKinds[decision.cluster] ?? 'text';
    const final = extractFinalAnswer(kind, answer.text).answer;
    const needsQe = plan.action === 'cascade' || (plan.action === 'agree' && plan.threshold > 0);
    const qe = needsQe
      ? this.#qe.score({
          query: text.last,
          response: answer.text,
          answer: final,
          model: decision.models[step],
          cluster: decision.cluster,
          outputTokens: answer.outputTokens,
          ...(answer.logprobs && this.wantsLogprobs && { logprobs: answer.logprobs }),
        })
      : null;
    const agree = plan.action === 'agree' && step === 0 ? partner !== null && answersAgree(kind, final, extractFinalAnswer(kind, partner.text).answer) : null;
    const verdict = decide(plan, cascade.caps, { step, tokensSoFar, ...(qe !== null && { qe }), ...(agree !== null && { agree }) });
    return { qe, agree, escalate: verdict.kind === 'escalate' };
  }
}
