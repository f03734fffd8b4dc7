import { servedPlans, routeEmbedding, type TunedConfig } from '../config.js';
import { configEmbedder, type EmbedTexts } from '../embed/config-embedder.js';
import { normalise, type Embedder } from '../embedder.js';
import { InvalidInputError } from '../errors.js';
import { extractFinalAnswer } from '../extract.js';
import { answersAgree } from '../graders.js';
import { DENSE_FEATURES } from '../qe/features.js';
import { LearnedQe } from '../qe/model.js';
import type { GenerationResult } from '../tier.js';
import { decide, firstQeThreshold, planModels, qeThreshold, type CascadeConfig, type ClusterPlan, type Decision } from './plan.js';

/*
 * The request-time cascade's decisions, pure: which cluster a text routes to, which tiers its
 * plan may call, and whether an answer is kept. The Node layer's runner (server/cascade/run.ts)
 * calls tiers and streams; serve, the app's Live view and the serve toggle all use this router.
 */

/**
 * The parts of a request that routing reads. `last` is the latest user turn (the prompt, for
 * /v1/completions and the Live view); `context` is the system prompt and earlier user turns.
 */
export interface RoutingText {
  last: string;
  context: string;
}

/** What the router decided for one request, before any tier ran. */
export interface CascadeDecision {
  /** -1 for a request that named a tier directly. */
  cluster: number;
  /** The plan's kind (`direct`: the client named a tier). */
  plan: ClusterPlan['action'] | 'direct';
  /**
   * Pool tiers in the order they may answer: the plan's rungs first (`ladder[0]` is stage 1),
   * then tiers that only serve as failover when a tier is down.
   */
  ladder: string[];
  /** The run-log model each ladder entry stands for, as the config and the QE name them. */
  models: string[];
  /** How many ladder entries are rungs that quality escalation may climb to. */
  rungs: number;
  /** Agreement plans: the second cheap tier run beside stage 1, whose answer is compared but never served. */
  partner: string | null;
  /** Whether the stage-1 answer is judged at all (false: it is final unless its tier fails). */
  gate: boolean;
  /** Stage 1's QE threshold, for headers and the log; null when the plan has none. */
  threshold: number | null;
}

/** The router's judgement of one rung's answer. */
export interface Verdict {
  /** Calibrated QE score of the answer; null when the plan does not score it. */
  qe: number | null;
  /** The threshold the plan holds this step's QE score to; null where it has none. */
  threshold: number | null;
  /** Agreement plans: whether stage 1 and its partner gave the same final answer. */
  agree: boolean | null;
  escalate: boolean;
  /** The core's decision, with its reason. */
  decision: Decision;
}

/** A tuned router: stateless per request, so replicas need no shared state. */
export interface CascadeRouter {
  /** The virtual model name clients send in `model`. */
  readonly name: string;
  /** Every pool tier a decision may name. */
  readonly tiers: readonly string[];
  /** Whether tier calls should return token log-probabilities (the QE was trained with them). */
  readonly wantsLogprobs: boolean;
  route(text: RoutingText): Promise<CascadeDecision>;
  /**
   * Judges the answer of rung `step`: keep it, or escalate to rung `step + 1`. `partner` is the
   * agreement partner's answer at step 0 (null when there is none or it failed).
   */
  judge(decision: CascadeDecision, text: RoutingText, step: number, answer: GenerationResult, partner: GenerationResult | null, tokensSoFar: number): Verdict;
}

/** The decision for a request that names one tier: that tier alone, no routing, no judgement. */
export function directDecision(tier: string): CascadeDecision {
  return { cluster: -1, plan: 'direct', ladder: [tier], models: [tier], rungs: 1, partner: null, gate: false, threshold: null };
}

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
    if (!models.has(model)) throw new InvalidInputError(`the tier map names model "${model}", which the config's pool does not have (it has ${[...models].join(', ')})`, where);
    if (!tiers.has(tier)) throw new InvalidInputError(`the tier map sends model "${model}" to tier "${tier}", which the pool does not list (it has ${tierNames.join(', ')})`, where);
  }
  const out = new Map<string, string>();
  for (const model of models) {
    const tier = tierMap[model] ?? (tiers.has(model) ? model : undefined);
    if (tier) out.set(model, tier);
  }
  return out;
}

/** Every run-log model the config's routing may call at its operating point (each needs a tier to serve). */
export function modelsCalled(config: TunedConfig): string[] {
  return [...new Set(servedPlans(config).flatMap(planModels))];
}

/** The models a plan may call, in order (stage 1 first); the agreement partner is apart. */
function planRungs(plan: ClusterPlan): { rungs: string[]; partner: string | null } {
  switch (plan.action) {
    case 'answer':
      return { rungs: [plan.model], partner: null };
    case 'cascade':
      return { rungs: plan.rungs, partner: null };
    case 'agree':
      return { rungs: [plan.model, plan.escalateTo], partner: plan.partner };
  }
}

/** Whether a plan's decision reads a QE score (an agreement plan with threshold 0 keeps on agreement alone). */
function needsQe(plan: ClusterPlan): boolean {
  return plan.action === 'cascade' || (plan.action === 'agree' && plan.threshold > 0);
}

/**
 * The router of a tuned config: embeds the conversation, picks the nearest cluster, and follows
 * that cluster's plan in the operating region, with every run-log model mapped onto a pool tier. After the plan's rungs the ladder goes on through the other mapped tiers, stronger
 * ones first, so a tier that is down always has somewhere to fail over to.
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
  /** Per cluster, the decision without its per-request parts (built once, copied per request). */
  readonly #decisions: CascadeDecision[];
  /** Per cluster, the served region's plan. */
  readonly #plans: ClusterPlan[];

  private constructor(name: string, config: TunedConfig, embed: EmbedTexts, modelTier: Map<string, string>) {
    this.name = name;
    this.#config = config;
    this.#cascade = config.cascade;
    this.#qe = config.cascade ? new LearnedQe(config.cascade.qe) : null;
    this.wantsLogprobs = config.cascade !== null && config.cascade.qe.spec.denseMean[DENSE_FEATURES.indexOf('hasLogprobs')] > 0;
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
   * Builds the router. The built-in embedder is rebuilt from the config's fitted state; a GGUF or
   * OpenAI-compatible one is the caller's (`embedder`, whose id must be the fitted one). An
   * InvalidInputError (naming `where`) refuses a map entry that points nowhere, and a config whose
   * plans name a model no pool tier stands for (the app's Live view refuses such a pool before it
   * gets here, with the same reason its readiness check shows).
   */
  static create(name: string, config: TunedConfig, tierNames: readonly string[], tierMap: Record<string, string>, where: string, embedder?: Embedder): TunedRouter {
    const embed = configEmbedder(config, embedder, where);
    // parseTunedConfig already checked the section against the clusters and the pool.
    const modelTier = mapModels(config, tierNames, tierMap, where);
    const unmapped = modelsCalled(config).filter((m) => !modelTier.has(m));
    if (unmapped.length > 0) {
      throw new InvalidInputError(`the config's plans call ${unmapped.map((m) => `"${m}"`).join(', ')}, which no pool tier stands for: name a tier after each, or map it (a tier's standsFor, or --map MODEL=TIER)`, where);
    }
    return new TunedRouter(name, config, embed, modelTier);
  }

  #plannedDecision(cluster: number, plan: ClusterPlan): CascadeDecision {
    const { rungs, partner } = planRungs(plan);
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
      threshold: firstQeThreshold(plan),
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

  judge(decision: CascadeDecision, text: RoutingText, step: number, answer: GenerationResult, partner: GenerationResult | null, tokensSoFar: number): Verdict {
    const cascade = this.#cascade;
    const plan = this.#plans[decision.cluster];
    if (!cascade || !this.#qe) return { qe: null, threshold: null, agree: null, escalate: false, decision: { kind: 'accept', reason: 'final' } };
    const kind = cascade.answerKinds[decision.cluster] ?? 'text';
    const final = extractFinalAnswer(kind, answer.text);
    const qe = needsQe(plan)
      ? this.#qe.score({
          query: text.last,
          response: answer.text,
          answer: final.answer,
          wellFormed: final.wellFormed,
          model: decision.models[step],
          cluster: decision.cluster,
          outputTokens: answer.outputTokens,
          ...(answer.logprobs && this.wantsLogprobs && { logprobs: answer.logprobs }),
        })
      : null;
    const agree = plan.action === 'agree' && step === 0 ? partner !== null && answersAgree(kind, final.answer, extractFinalAnswer(kind, partner.text).answer) : null;
    const verdict = decide(plan, cascade.caps, { step, tokensSoFar, ...(qe !== null && { qe }), ...(agree !== null && { agree }) });
    return { qe, threshold: qeThreshold(plan, step), agree, escalate: verdict.kind === 'escalate', decision: verdict };
  }
}
