// Collects the process's unhandled promise rejections while a test runs: each one is a
// rejection that would have ended a server process outside the test runner.

/** Starts collecting; `stop()` stops and returns what was seen. */
export function watchUnhandled(): { readonly seen: unknown[]; stop(): unknown[] } {
  const seen: unknown[] = [];
  const note = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', note);
  return {
    seen,
    stop() {
      process.off('unhandledRejection', note);
      return seen;
    },
  };
}
