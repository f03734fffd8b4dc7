// Runs one engine tune in a child process, so the service's event loop keeps serving pages,
// views and streams while it works. Input and output are plain data over IPC.
import { toErrorPayload } from '../../core/app-api.js';
import type { RunLog } from '../../core/runlog.js';
import { tune, type TuneOptions } from '../../core/tune.js';

export interface TuneWorkerInput {
  log: RunLog;
  options: Omit<TuneOptions, 'onProgress' | 'embedderFactory'>;
}

process.once('message', (input: TuneWorkerInput) => {
  tune(input.log, input.options)
    .then((value) => ({ ok: true, value }), (err: unknown) => ({ ok: false, error: toErrorPayload(err) }))
    .then((reply) => process.send!(reply, () => process.disconnect()));
});
