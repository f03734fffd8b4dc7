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
  cluster: number;
  /** Pool tiers in order: `ladder[0]` answers first (stage 1); escalation and failover both walk down from there. */
  ladder: string[];
  /** The run-log model each ladder tier stands for, as the config and the QE name them. */
  models: string[];
  /** Whether the QE judges the stage-1 answer (false: the plan answers at once or goes straight to the stronger tier). */
  gate: boolean;
  /** Accept the stage-1 answer when its QE score is at least this; null when there is no gate. */
  threshold: number | null;
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
  route(text: RoutingText): Promise<CascadeDecision>;
  /** The QE score of a stage-1 answer, in [0, 1]; higher means more likely right. */
  score(decision: CascadeDecision, text: RoutingText, result: GenerationResult): Promise<number>;
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
