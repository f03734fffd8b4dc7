import type { RetryPolicy } from '../../core/pool.js';

/**
 * The wait an error answer (429, 503) asks for, ms: OpenAI's `retry-after-ms`, else
 * `Retry-After` in seconds or as an HTTP date (RFC 9110 §10.2.3). Undefined when the answer
 * names none or names it unreadably.
 */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * How long to wait before retry number `attempt` (0 first): what the endpoint asked for when it
 * said, else exponential backoff from `initialDelayMs` with jitter; never longer than `maxDelayMs`,
 * so an endpoint cannot hold a call for as long as it likes.
 */
export function retryDelayMs(policy: Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs'>, attempt: number, askedMs: number | undefined): number {
  const wanted = askedMs ?? policy.initialDelayMs * 2 ** attempt * (0.5 + Math.random() / 2);
  return Math.min(policy.maxDelayMs, wanted);
}
