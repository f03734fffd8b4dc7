import { performance } from 'node:perf_hooks';
import type { CascadeDecision, CascadeRouter, RoutingText, Verdict } from '../../core/cascade/router.js';
import type { AbortSignalLike, GenerateRequest, GenerationResult, Tier } from '../../core/tier.js';
import { AllTiersFailedError, InputTooLongError, StreamInterruptedError } from '../serve/errors.js';
import { callLadder, callTier, ClientAbortedError, TierFailedError, type Fallback, type TierCallPolicy, type TokenSink } from './tier-call.js';

/*
 * The one request-time cascade runner: it calls tiers (with retries and failover down the
 * ladder), asks the core router (core/cascade/router.ts) to judge each rung's answer, escalates
 * while it says so, and hands tokens and progress to a pluggable sink. `serve` streams to an
 * SSE client through its sink; the app's Live view turns the same calls into Live events.
 */

/** How one request went through the cascade: what headers, metrics, the decision log and the Live view report. */
export interface CascadeTrace {
  /** Null when the request named a tier directly (no routing). */
  cluster: number | null;
  /** The tier whose answer stage 1 produced (after any failover). */
  stage1: string;
  final: string;
  escalated: boolean;
  /** The QE score of the stage-1 answer; null when it was not scored. */
  qe: number | null;
  /** Every QE score computed, one per judged rung. */
  qeScores: number[];
  /** Agreement plans: whether stage 1 and its partner agreed. */
  agree: boolean | null;
  threshold: number | null;
  fallbacks: Fallback[];
}

export type PassRole = 'stage1' | 'partner' | 'escalation';

/** Where a cascade's tokens and progress go. */
export interface CascadeSink {
  /**
   * The token sink of the call that answers `step` in `role` (the partner: step 0). Each attempt
   * on a tier, failovers included, starts with its `begin(tier)`. `trace` is the run's trace so far.
   */
  tokens(step: number, role: PassRole, trace: Readonly<CascadeTrace>): TokenSink;
  /** A tier call answered (before it is judged). */
  answered?(step: number, role: PassRole, result: GenerationResult): void;
  /** The router judged rung `step`'s answer. */
  judged?(step: number, verdict: Verdict): void;
}

/** A token sink that keeps nothing: for calls whose text the caller reads from the result. */
const DISCARD_TOKENS: TokenSink = { committed: false, begin: () => undefined, token: () => undefined };

/** A sink for callers that read only the outcome (a JSON answer). */
export const NO_SINK: CascadeSink = { tokens: () => DISCARD_TOKENS };

export interface CascadeOutcome {
  trace: CascadeTrace;
  result: GenerationResult;
  /** The token sink of the call that gave `result`. */
  tokens: TokenSink;
  /** Every tier call that answered, in order (the partner's too): each one was paid for. */
  calls: GenerationResult[];
  /** Milliseconds spent waiting for tier calls; the rest of a request's time is router overhead. */
  tierMs: number;
}

export interface CascadeRun {
  /** The live tiers the decision's ladder names (a TierPool's acquire, or serve's state). */
  tiers: ReadonlyMap<string, Tier>;
  /** Null for a request that named a tier directly. */
  router: CascadeRouter | null;
  decision: CascadeDecision;
  text: RoutingText;
  request: GenerateRequest;
  policy: TierCallPolicy;
  signal: AbortSignalLike;
  sink: CascadeSink;
  /**
   * Every tier call that answers is added here as it answers (the outcome's `calls`): a request that
   * fails or is abandoned afterwards still accounts for what it paid.
   */
  calls: GenerationResult[];
}

interface Answer {
  result: GenerationResult;
  /** Ladder index of the tier that gave it. */
  index: number;
  sink: TokenSink;
}

/**
 * Runs one request through its decision: stage 1 (with failover down the ladder) and its
 * agreement partner beside it, the router's judgement of each rung's answer, and escalation up
 * the rungs while it says so. Once the sink committed a token to its client no failover
 * happens. A client abort is a ClientAbortedError; no tier left, an AllTiersFailedError.
 */
export async function runCascade(run: CascadeRun): Promise<CascadeOutcome> {
  const { decision, sink } = run;
  const ladder = decision.ladder;
  const fallbacks: Fallback[] = [];
  const failed = new Set<string>();
  const { calls } = run;
  let tierMs = 0;
  const trace: CascadeTrace = {
    cluster: run.router ? decision.cluster : null,
    stage1: ladder[0],
    final: ladder[0],
    escalated: false,
    qe: null,
    qeScores: [],
    agree: null,
    threshold: decision.threshold,
    fallbacks,
  };
  const lastRung = decision.rungs - 1;
  // `end` (exclusive) bounds the ladder: an escalation climbs only the stronger rungs, never down to the failover tiers.
  const call = async (step: number, end = ladder.length): Promise<Answer> => {
    const role: PassRole = step === 0 ? 'stage1' : 'escalation';
    const tokens = sink.tokens(step, role, trace);
    const t0 = performance.now();
    try {
      const answer = await callLadder(run.tiers, ladder.slice(0, end), step, run.request, run.policy, run.signal, tokens, failed, (f) => fallbacks.push(f));
      calls.push(answer.result);
      sink.answered?.(step, role, answer.result);
      return { ...answer, sink: tokens };
    } catch (err) {
      // What a call generated before the client left was paid for all the same.
      if (err instanceof ClientAbortedError && err.partial) calls.push(err.partial);
      if (!(err instanceof TierFailedError)) throw err;
      if (tokens.committed) throw new StreamInterruptedError(err.tier, err.reason);
      // No tier's context holds the prompt: the client's request is what must change, as OpenAI says with a 400.
      if (fallbacks.length > 0 && fallbacks.every((f) => f.reason === 'context_length')) {
        throw new InputTooLongError(`The conversation does not fit the context of any tier on the ladder (${fallbacks.map((f) => f.from).join(', ')}): ${err.message}`, 400, 'messages');
      }
      throw new AllTiersFailedError(fallbacks);
    } finally {
      tierMs += performance.now() - t0;
    }
  };

  // An agreement partner runs beside stage 1; if it fails, the answers cannot agree. Its promise
  // never rejects (a client abort comes back as a value): stage 1 may take longer than the
  // partner's failure, and a rejection with no handler meanwhile would end the process.
  const partnerTier = decision.partner === null ? undefined : run.tiers.get(decision.partner);
  const partnerCall: Promise<GenerationResult | ClientAbortedError | null> = partnerTier
    ? callTier(partnerTier, run.request, run.policy, run.signal, sink.tokens(0, 'partner', trace)).then(
        (r) => {
          calls.push(r);
          sink.answered?.(0, 'partner', r);
          return r;
        },
        (err: unknown) => {
          if (!(err instanceof ClientAbortedError)) return null;
          if (err.partial) calls.push(err.partial);
          return err;
        },
      )
    : Promise.resolve(null);
  let answer: Answer;
  try {
    answer = await call(0);
  } finally {
    // Settle the partner either way, so no call outlives the request unobserved.
    const t0 = performance.now();
    await partnerCall;
    tierMs += performance.now() - t0;
  }
  trace.stage1 = trace.final = ladder[answer.index];
  let tokens = answer.result.inputTokens + answer.result.outputTokens;
  const partner = await partnerCall;
  if (partner instanceof ClientAbortedError) throw partner;
  if (partner) tokens += partner.inputTokens + partner.outputTokens;

  // Only an answer from the planned rung is judged: thresholds are calibrated per model, so a failover answer is final.
  for (let step = 0; run.router && decision.gate && answer.index === step && step < lastRung; step++) {
    const verdict = run.router.judge(decision, run.text, step, answer.result, step === 0 ? partner : null, tokens);
    if (verdict.qe !== null) {
      trace.qeScores.push(verdict.qe);
      if (step === 0) trace.qe = verdict.qe;
    }
    if (step === 0) trace.agree = verdict.agree;
    sink.judged?.(step, verdict);
    if (!verdict.escalate) break;
    let next: Answer;
    try {
      next = await call(step + 1, decision.rungs);
    } catch (err) {
      // Every stronger tier failed before sending anything: the answer in hand beats none.
      if (!(err instanceof AllTiersFailedError || err instanceof InputTooLongError)) throw err;
      break;
    }
    answer = next;
    trace.escalated = true;
    trace.final = ladder[answer.index];
    tokens += answer.result.inputTokens + answer.result.outputTokens;
  }
  return { trace, result: answer.result, tokens: answer.sink, calls, tierMs };
}
