import { AsyncLocalStorage } from 'node:async_hooks';

/** What an unexpected failure is charged to: a request's (or stream's) id and the server that logs and counts it. */
export interface FailureOwner {
  id: string;
  report(err: unknown, id: string): void;
}

/** Receives a failure that no request owns (id null): one per guarding server. */
export type FallbackReporter = (err: unknown, id: null) => void;

const owners = new AsyncLocalStorage<FailureOwner>();
const fallbacks = new Set<FallbackReporter>();

function onUnhandledRejection(reason: unknown): void {
  // Node runs this listener in the async context the rejection happened in: the request's, when one owns it.
  const owner = owners.getStore();
  if (owner) return owner.report(reason, owner.id);
  const [first] = fallbacks;
  first?.(reason, null);
}

/** Runs `work` (and everything it starts) as `owner`'s: a rejection nothing handled there is reported to it. */
export function runOwned<T>(owner: FailureOwner, work: () => T): T {
  return owners.run(owner, work);
}

/**
 * The process-wide rule that nothing a client or user does ends the process: while any server
 * holds this guard, a promise rejection that nothing handled is reported (logged with the request
 * id, counted) instead of ending the process, which is Node's default. Returns what releases it;
 * the last release gives the process its default back.
 */
export function guardProcess(fallback: FallbackReporter): () => void {
  if (fallbacks.size === 0) process.on('unhandledRejection', onUnhandledRejection);
  fallbacks.add(fallback);
  return () => {
    if (!fallbacks.delete(fallback)) return;
    if (fallbacks.size === 0) process.off('unhandledRejection', onUnhandledRejection);
  };
}

/** An error's stack, or its text when it has none, for a one-line log entry's tail. */
export function describeFailure(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
