import { decide, firstModels, type CascadeCaps, type ClusterPlan, type Decision } from '../core/cascade/plan.js';
import { routeEmbedding, type TunedConfig } from '../core/config.js';
import { configEmbedder } from '../core/embed/config-embedder.js';
import type { Embedder } from '../core/embedder.js';
import { extractFinalAnswer, type AnswerKind } from '../core/extract.js';
import { answersAgree } from '../core/graders.js';
import type { QeInput } from '../core/qe/features.js';
import { LearnedQe } from '../core/qe/model.js';
import type { AbortSignalLike, GenerateRequest, GenerationResult, Tier } from '../core/tier.js';

/**
 * The method's request-time steps, as small functions of the core, so the live cascade runs
 * exactly what tuning chose. `policyFromTunedConfig` builds one from a tuned config.
 */
export interface CascadePolicy {
  /** Step 1: the query's routing embedding. */
  embed(query: string): ArrayLike<number> | Promise<ArrayLike<number>>;
  /** Steps 2–3: the nearest cluster and its plan. */
  route(embedding: ArrayLike<number>): { cluster: number; plan: ClusterPlan };
  /** Step 5: calibrated QE score (probability the answer is right); absent for a stage-1-only config. */
  score?: (input: QeInput) => number;
  /** How a cluster's final answers are extracted and compared. */
  answerKind(cluster: number): AnswerKind;
  caps: CascadeCaps;
}

/**
 * Builds the policy of a tuned config at its operating region (or `region`): the same plans serve
 * applies. The built-in embedder is rebuilt from the config; a GGUF or OpenAI-compatible one is the
 * caller's (`embedder`, loaded from the config's spec), and must be the one the config was fitted with.
 */
export function policyFromTunedConfig(config: TunedConfig, embedder?: Embedder, region = config.operatingPoint.region): CascadePolicy {
  const cascade = config.cascade;
  const embedTexts = configEmbedder(config, embedder, 'tuned config');
  const embed: CascadePolicy['embed'] = (query) => {
    const out = embedTexts([query]);
    return Array.isArray(out) ? out[0] : out.then((v) => v[0]);
  };
  const qe = cascade ? new LearnedQe(cascade.qe) : null;
  return {
    embed,
    route: (embedding) => {
      return routeEmbedding(config, embedding, region);
    },
    ...(qe && { score: (input: QeInput) => qe.score(input) }),
    answerKind: (cluster) => cascade?.answerKinds[cluster] ?? 'text',
    caps: cascade?.caps ?? { maxEscalations: 0, maxTotalTokens: null },
  };
}

/** One tier call of the cascade, as the trace shows it. */
export interface PassTrace {
  /** 0 for stage 1 (and its agreement partner), 1 for the first escalation, … */
  step: number;
  role: 'stage1' | 'partner' | 'escalation';
  /** The run-log model the plan named, and the pool tier that answered for it. */
  model: string;
  tier: string;
  result: GenerationResult;
  /** The extracted final answer. */
  answer: string | null;
  /** This answer's QE score; null where no QE runs (stage-1-only config, partner). */
  qe: number | null;
}

/** Everything the UI draws about one query's way through the cascade. */
export interface LiveCascadeTrace {
  query: string;
  cluster: number;
  plan: ClusterPlan['action'];
  stage1Tier: string;
  /** Stage 1's QE score and the threshold it was held to (null where the plan has none). */
  qe: number | null;
  threshold: number | null;
  /** Agreement plans: whether stage 1 and its partner agreed. */
  agree: boolean | null;
  escalated: boolean;
  finalTier: string;
  /** The decision that ended the cascade. */
  decision: Decision;
  passes: PassTrace[];
  /** The answer served: the final pass's text. */
  text: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  /** Wall time of the whole query, and the part spent outside tier calls (embed, route, QE, decide). */
  totalMs: number;
  overheadMs: { embed: number; route: number; qe: number; total: number };
}

/** Streamed as the cascade runs: each pass's tokens, its end, each decision, and the trace. */
export type LiveCascadeEvent =
  | { type: 'routed'; cluster: number; plan: ClusterPlan['action']; models: string[]; tiers: string[] }
  | { type: 'token'; step: number; role: PassTrace['role']; tier: string; text: string; atMs: number }
  | { type: 'pass'; pass: PassTrace }
  | { type: 'decision'; step: number; decision: Decision; qe: number | null; agree: boolean | null }
  | { type: 'done'; trace: LiveCascadeTrace };

export interface LiveCascadeOptions {
  /** The tier that answers for a run-log model. Defaults to none: required. */
  tierFor: (model: string) => Tier;
  /** Sampling settings of every pass (the query becomes one user message). Defaults to the tiers' own. */
  request?: Omit<GenerateRequest, 'messages' | 'prompt' | 'logprobs'>;
  /** Ask tiers for log-probabilities (a QE feature when the QE was trained with them). Defaults to `true`. */
  logprobs?: boolean;
  /** Defaults to none. */
  signal?: AbortSignalLike;
  /** Defaults to none. */
  onEvent?: (event: LiveCascadeEvent) => void;
}

/**
 * Runs one query through the cascade for real: (1) embed, (2) nearest cluster, (3) the cluster's
 * plan, (4) stream stage 1 (with its agreement partner, if the plan has one), (5) QE on the
 * finished answer, (6) escalate while the core's `decide` says so. Returns the trace.
 */
export async function runLiveCascade(query: string, policy: CascadePolicy, options: LiveCascadeOptions): Promise<LiveCascadeTrace> {
  const started = performance.now();
  const { tierFor, signal, onEvent, logprobs = true } = options;
  const overhead = { embed: 0, route: 0, qe: 0, total: 0 };

  let t = performance.now();
  const embedding = await policy.embed(query);
  overhead.embed = performance.now() - t;
  t = performance.now();
  const { cluster, plan } = policy.route(embedding);
  const first = firstModels(plan);
  const firstTiers = first.map((m) => tierFor(m));
  overhead.route = performance.now() - t;
  onEvent?.({ type: 'routed', cluster, plan: plan.action, models: first, tiers: firstTiers.map((x) => x.name) });

  const kind = policy.answerKind(cluster);
  const passes: PassTrace[] = [];
  // Whether each pass's text held well-formed JSON, known from its extraction: the QE reads it
  // rather than parsing the text again.
  const wellFormed = new Map<PassTrace, boolean>();
  const call = async (step: number, role: PassTrace['role'], model: string, tier: Tier): Promise<PassTrace> => {
    const result = await tier.generate(
      { ...options.request, messages: [{ role: 'user', content: query }], logprobs },
      { ...(signal && { signal }), onToken: (e) => onEvent?.({ type: 'token', step, role, tier: tier.name, text: e.text, atMs: e.atMs }) },
    );
    const final = extractFinalAnswer(kind, result.text);
    const pass: PassTrace = { step, role, model, tier: tier.name, result, answer: final.answer, qe: null };
    wellFormed.set(pass, final.wellFormed);
    return pass;
  };
  const judge = (pass: PassTrace) => {
    if (!policy.score) return;
    const q = performance.now();
    pass.qe = policy.score({
      query, response: pass.result.text, answer: pass.answer, wellFormed: wellFormed.get(pass)!, model: pass.model, cluster, outputTokens: pass.result.outputTokens,
      ...(pass.result.logprobs && { logprobs: pass.result.logprobs }),
    });
    overhead.qe += performance.now() - q;
  };
  const finishPass = (pass: PassTrace) => {
    passes.push(pass);
    onEvent?.({ type: 'pass', pass });
  };

  // Step 4: stage 1, and for an agreement plan its partner at the same time.
  const firstPasses = await Promise.all(first.map((m, i) => call(0, i === 0 ? 'stage1' : 'partner', m, firstTiers[i])));
  let current = firstPasses[0];
  judge(current);
  for (const p of firstPasses) finishPass(p);
  const agree = plan.action === 'agree' ? answersAgree(kind, firstPasses[0].answer, firstPasses[1].answer) : null;
  let tokensSoFar = firstPasses.reduce((s, p) => s + p.result.inputTokens + p.result.outputTokens, 0);

  let decision: Decision;
  for (let step = 0; ; ) {
    const d = performance.now();
    // An aborted pass is final: nothing more is spent on a query the caller gave up.
    decision = current.result.stopReason === 'abort'
      ? { kind: 'accept', reason: 'cap' }
      : decide(plan, policy.caps, { step, tokensSoFar, ...(current.qe !== null && { qe: current.qe }), ...(step === 0 && agree !== null && { agree }) });
    overhead.qe += performance.now() - d;
    onEvent?.({ type: 'decision', step, decision, qe: current.qe, agree: step === 0 ? agree : null });
    if (decision.kind === 'accept') break;
    step++;
    const r = performance.now();
    const tier = tierFor(decision.model);
    overhead.route += performance.now() - r;
    current = await call(step, 'escalation', decision.model, tier);
    judge(current);
    finishPass(current);
    tokensSoFar += current.result.inputTokens + current.result.outputTokens;
  }

  overhead.total = overhead.embed + overhead.route + overhead.qe;
  const stage1 = firstPasses[0];
  const trace: LiveCascadeTrace = {
    query,
    cluster,
    plan: plan.action,
    stage1Tier: stage1.tier,
    qe: stage1.qe,
    threshold: plan.action === 'cascade' ? plan.thresholds[0] : plan.action === 'agree' ? plan.threshold : null,
    agree,
    escalated: passes.some((p) => p.role === 'escalation'),
    finalTier: current.tier,
    decision,
    passes,
    text: current.result.text,
    costUsd: passes.reduce((s, p) => s + p.result.costUsd, 0),
    inputTokens: passes.reduce((s, p) => s + p.result.inputTokens, 0),
    outputTokens: passes.reduce((s, p) => s + p.result.outputTokens, 0),
    totalMs: performance.now() - started,
    overheadMs: overhead,
  };
  onEvent?.({ type: 'done', trace });
  return trace;
}
