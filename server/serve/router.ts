import type { GenerationResult } from '../../core/tier.js';
import type { ServeRequest } from './request.js';

/**
 * The parts of a request that routing reads. `last` is the latest user turn (the prompt,
 * for /v1/completions); `context` is the system prompt and the earlier user turns. Assistant
 * turns are left out: they are the models' own words and would pull the route towards
 * whatever tier answered before.
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
  plan: 'answer' | 'cascade' | 'agree' | 'direct';
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
  /** Agreement plans: whether stage 1 and its partner gave the same final answer. */
  agree: boolean | null;
  escalate: boolean;
}

/**
 * The tuned router behind the endpoint's virtual model. Stateless per request, so
 * replicas need no shared state.
 */
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
  judge(decision: CascadeDecision, text: RoutingText, step: number, answer: GenerationResult, partner: GenerationResult | null, tokensSoFar: number): Promise<Verdict>;
}

/** Keeps the text routing reads short, so a long chat cannot make routing slow. */
const MAX_CONTEXT_CHARS = 4000;

/** Extracts the routing text of a request: the last user turn plus the system prompt and earlier user turns. */
export function routingText(request: ServeRequest): RoutingText {
  if (request.prompt !== undefined) return { last: request.prompt, context: '' };
  const messages = request.messages ?? [];
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === 'user') {
      lastUser = i;
      break;
    }
  }
  // A conversation with no user turn (system only, say) routes on its final message.
  const lastIndex = lastUser >= 0 ? lastUser : messages.length - 1;
  const parts: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    if (i === lastIndex) continue;
    const m = messages[i];
    if (m.role === 'system' || m.role === 'user') parts.push(m.content);
  }
  const context = parts.join('\n');
  return {
    last: messages[lastIndex]?.content ?? '',
    // The most recent context matters most, so a long history is cut from the front.
    context: context.length > MAX_CONTEXT_CHARS ? context.slice(context.length - MAX_CONTEXT_CHARS) : context,
  };
}
