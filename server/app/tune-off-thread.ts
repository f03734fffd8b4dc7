import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AppErrorPayload } from '../../core/app-api.js';
import * as errors from '../../core/errors.js';
import type { TuneOutcome, TuneWorkerInput } from './tune-worker.js';

type WorkerReply = { ok: true; value: TuneOutcome } | { ok: false; error: AppErrorPayload };

/** The engine's error class again, so the bridges map it to the same status as an in-process throw. */
function revive(payload: AppErrorPayload): Error {
  const Class = (errors as Record<string, unknown>)[payload.name];
  const err = typeof Class === 'function' && Class.prototype instanceof Error ? new (Class as new (message: string) => Error)(payload.message) : new Error(payload.message);
  // The message already carries `where`; passing it to the constructor again would repeat it.
  Object.defineProperty(err, 'where', { value: payload.where ?? undefined });
  err.name = payload.name;
  return err;
}

/**
 * `core/tune.ts`'s tune (and every query's embedding under the tuned embedder) in a child process: seconds of synchronous work that would otherwise stall
 * every request (and freeze Electron's window). A child rather than a worker thread because Node 20
 * does not apply `--import tsx` to a worker's entry module. Under tsx (tests) the child
 * loads the TypeScript source through tsx; compiled (dist/node of `npm start` and the CLI, Electron), the
 * emitted .js sits beside this file and the child starts as plain Node.
 */
export function tuneOffThread(input: TuneWorkerInput, signal?: AbortSignal): Promise<TuneOutcome> {
  const source = import.meta.url.endsWith('.ts');
  const child = fork(fileURLToPath(new URL(source ? './tune-worker.ts' : './tune-worker.js', import.meta.url)), [], {
    execArgv: source ? ['--import', 'tsx'] : [],
    // Typed arrays and Maps survive the advanced serialisation; JSON would flatten them.
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Aborting (the service being disposed) kills the child.
    ...(signal && { signal }),
  });
  return new Promise<TuneOutcome>((resolve, reject) => {
    let settled = false;
    child.once('message', (reply: WorkerReply) => {
      settled = true;
      if (reply.ok) resolve(reply.value);
      else reject(revive(reply.error));
    });
    child.once('error', (err) => {
      settled = true;
      reject(err);
    });
    child.once('exit', (code, signal) => {
      if (!settled) reject(new Error(`the tune process exited (${signal ?? `code ${code}`}) without an answer`));
    });
    child.send(input);
  });
}
