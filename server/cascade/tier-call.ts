import { CascadeLabError, DisposedError, EndpointStatusError, EndpointUnreachableError } from '../../core/errors.js';
import type { RetryPolicy } from '../../core/pool.js';
import { Cancellation } from '../../core/cancellation.js';
import { delay } from '../../native-models/tiers/concurrency.js';
import { ContextLengthExceededError, TierHttpError, TierTimeoutError } from '../../native-models/tiers/errors.js';
import { retryDelayMs } from '../../native-models/tiers/retry-after.js';
import type { AbortSignalLike, GenerateRequest, GenerationResult, Tier, TokenEvent } from '../../core/tier.js';

/** Why a tier call failed, as headers, metrics and the decision log name it. */
export type FailureReason = 'timeout' | 'rate_limited' | 'http_5xx' | 'http_4xx' | 'context_length' | 'unreachable' | 'disposed' | 'error';

/** One tier call that failed after its retries; the ladder moves on. */
export class TierFailedError extends CascadeLabError {
  constructor(readonly tier: string, readonly reason: FailureReason, cause: unknown) {
    super(`${reason}: ${cause instanceof Error ? cause.message : String(cause)}`, `tier "${tier}"`);
  }
}

/** The client went away; nothing more is generated for it. `partial`: what the call it cut short had generated (and cost) by then. */
export class ClientAbortedError extends CascadeLabError {
  constructor(readonly partial?: GenerationResult) {
    super('the client closed the connection');
  }
}

export interface TierCallPolicy {
  /** Per-attempt limit on one tier call, ms. */
  timeoutMs: (tier: string) => number;
  /** How a tier's 429 and 5xx answers are retried. */
  retry: (tier: string) => RetryPolicy;
}

/** Where a call's tokens go: a buffer, or the client at once. */
export interface TokenSink {
  /** A new attempt starts on `tier`: whatever an earlier attempt left must be dropped. */
  begin(tier: string): void;
  token(event: TokenEvent): void;
  /** True once any token reached the client: from then on no retry or failover may happen. */
  readonly committed: boolean;
}

// How OpenAI, vLLM and llama.cpp's server word a prompt that does not fit the model's context in a 400's body.
const CONTEXT_LENGTH = /context_length_exceeded|maximum context length|exceeds the (available )?context/i;

function classify(err: unknown, tier: Tier, timedOut: boolean): FailureReason {
  if (timedOut || err instanceof TierTimeoutError) return 'timeout';
  // A local tier's own refusal, or an endpoint's 400 that says so: a tier with a larger context may still answer.
  if (err instanceof ContextLengthExceededError) return 'context_length';
  if (err instanceof EndpointStatusError) {
    if (err.status === 400 && CONTEXT_LENGTH.test(err.message)) return 'context_length';
    if (err.status === 429) return 'rate_limited';
    return err.status >= 500 ? 'http_5xx' : 'http_4xx';
  }
  if (tier.disposed || err instanceof DisposedError) return 'disposed';
  if (err instanceof EndpointUnreachableError) return 'unreachable';
  return 'error';
}

/**
 * Calls one tier with the per-tier timeout, retrying 429 and 5xx answers with exponential
 * backoff. Throws ClientAbortedError when `signal` fires, TierFailedError otherwise.
 */
export async function callTier(tier: Tier, request: GenerateRequest, policy: TierCallPolicy, signal: AbortSignalLike, sink: TokenSink): Promise<GenerationResult> {
  for (let attempt = 0; ; attempt++) {
    if (signal.aborted) throw new ClientAbortedError();
    const timeout = new Cancellation();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      timeout.abort(new Error(`no answer within ${policy.timeoutMs(tier.name)} ms`));
    }, policy.timeoutMs(tier.name));
    const unfollow = timeout.follow(signal);
    sink.begin(tier.name);
    let failure: unknown;
    let partial: GenerationResult | undefined;
    try {
      const result = await tier.generate(request, { signal: timeout, onToken: (e) => sink.token(e) });
      partial = result;
      if (result.stopReason === 'abort' && !signal.aborted && !timedOut) failure = new Error('the tier stopped with reason "abort"');
      else if (result.stopReason === 'error') failure = new Error('the tier stopped with reason "error"');
      else if (!signal.aborted && !timedOut) return result;
      else failure = timeout.reason;
    } catch (err) {
      failure = err;
    } finally {
      clearTimeout(timer);
      unfollow();
    }
    if (signal.aborted) throw new ClientAbortedError(partial);
    const reason = classify(failure, tier, timedOut);
    const retryable = reason === 'rate_limited' || reason === 'http_5xx';
    const retry = policy.retry(tier.name);
    if (!retryable || attempt >= retry.maxRetries || sink.committed) throw new TierFailedError(tier.name, reason, failure);
    const backoff = retryDelayMs(retry, attempt, failure instanceof TierHttpError ? failure.retryAfterMs : undefined);
    // A client abort ends the wait early; the check at the top of the loop then throws.
    await delay(backoff, signal).catch(() => {});
  }
}

/** One failover step: `from` failed with `reason`, and the ladder moved on to `to` (null: nothing left). */
export interface Fallback {
  from: string;
  to: string | null;
  reason: FailureReason;
}

/**
 * Tries the ladder's tiers from `start` on until one answers. A failure moves to the next
 * tier unless the sink already committed tokens to the client, or the client left.
 */
export async function callLadder(
  tiers: ReadonlyMap<string, Tier>,
  ladder: readonly string[],
  start: number,
  request: GenerateRequest,
  policy: TierCallPolicy,
  signal: AbortSignalLike,
  sink: TokenSink,
  failed: Set<string>,
  onFallback: (fallback: Fallback) => void,
): Promise<{ result: GenerationResult; index: number }> {
  for (let i = start; i < ladder.length; i++) {
    // A tier that already failed this request is not tried again.
    if (failed.has(ladder[i])) continue;
    const tier = tiers.get(ladder[i]);
    if (!tier) throw new TierFailedError(ladder[i], 'error', new Error('not in the pool'));
    try {
      return { result: await callTier(tier, request, policy, signal, sink), index: i };
    } catch (err) {
      if (!(err instanceof TierFailedError)) throw err;
      failed.add(err.tier);
      const next = sink.committed ? undefined : ladder.slice(i + 1).find((t) => !failed.has(t));
      onFallback({ from: err.tier, to: next ?? null, reason: err.reason });
      if (next === undefined) throw err;
    }
  }
  throw new TierFailedError(ladder[start] ?? '(none)', 'error', new Error('no tier left on the ladder'));
}
