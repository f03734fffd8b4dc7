import { ContextLengthExceededError, TierHttpError, TierStreamError } from '../tiers/errors.js';

/**
 * Why a query has no answer, when the failure is the query's and not the tier's:
 * - `context_length`: the prompt (plus the output asked for) does not fit the tier's context;
 * - `content_filter`: the endpoint's content filter refused the request;
 * - `bad_request`: any other 4xx that names the request (400, 413, 422, …);
 * - `unparsable`: the endpoint's stream for this query could not be read;
 * - `empty`: the tier finished without a single character of output.
 */
export type UnansweredReason = 'context_length' | 'content_filter' | 'bad_request' | 'unparsable' | 'empty';

// 4xx statuses that are about the caller or the endpoint, not the request's content: these stop
// the run like an outage (an API key, a model name, a rate limit that outlasted the retries).
const TIER_LEVEL_4XX = new Set([401, 402, 403, 404, 405, 407, 408, 409, 429]);

/**
 * The reason a failed call is one query's problem, or null when it is the tier's (unreachable,
 * 5xx after retries, timeout, authentication, rate limit, a missing key): those count toward the
 * run's consecutive-failure stop and are tried again when the run resumes.
 */
export function perQueryReason(err: Error): UnansweredReason | null {
  if (err instanceof ContextLengthExceededError) return 'context_length';
  if (err instanceof TierHttpError && err.status >= 400 && err.status < 500 && !TIER_LEVEL_4XX.has(err.status)) {
    // OpenAI says "maximum context length", vLLM "maximum model length"; Azure's filter says "content management policy".
    if (/context[ _]length|maximum (context|model) length|too many tokens|prompt is too long/i.test(err.message)) return 'context_length';
    if (/content[ _]?filter|content management policy/i.test(err.message)) return 'content_filter';
    return 'bad_request';
  }
  // cloud-tier.ts's TierStreamError for an event it cannot read (not JSON, too long); its other use, an error event mid-stream, is the endpoint failing.
  if (err instanceof TierStreamError && /not JSON|longer than/.test(err.message)) return 'unparsable';
  return null;
}
