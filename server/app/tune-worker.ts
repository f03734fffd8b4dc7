// Runs one engine tune in a child process, so the service's event loop keeps serving pages,
// views and streams while it works. Input and output are plain data over IPC. The tune's own
// embeddings of every query travel back with it (one flat array), so the parent labels the
// workload without embedding anything again.
import { toErrorPayload } from '../../core/app-api.js';
import type { RunLog } from '../../core/runlog.js';
import { tune, type TuneOptions, type TuneResult } from '../../core/tune.js';

export interface TuneWorkerInput {
  log: RunLog;
  options: Omit<TuneOptions, 'onProgress' | 'embedderFactory'>;
}

/** A tune and every query's embedding under its embedder, row after row (`null` when the embedder is not the built-in one). */
export interface TuneOutcome extends Omit<TuneResult, 'fitted'> {
  embeddings: Float32Array | null;
}

async function tuneAndEmbed(input: TuneWorkerInput): Promise<TuneOutcome> {
  const { fitted, ...result } = await tune(input.log, input.options);
  if (!result.config.embedder.state) return { ...result, embeddings: null };
  const d = result.config.embedder.dimensions;
  const embeddings = new Float32Array(fitted.embeddings.length * d);
  fitted.embeddings.forEach((row, i) => embeddings.set(row, i * d));
  return { ...result, embeddings };
}

process.once('message', (input: TuneWorkerInput) => {
  tuneAndEmbed(input)
    .then((value) => ({ ok: true, value }), (err: unknown) => ({ ok: false, error: toErrorPayload(err) }))
    .then((reply) => process.send!(reply, () => process.disconnect()));
});
