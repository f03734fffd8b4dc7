// Runs one engine tune in a child process, so the service's event loop keeps serving pages,
// views and streams while it works. Input and output are plain data over IPC. It also embeds
// every query with the tuned embedder, which the views need and which is the slow part of
// labelling the workload, so the parent does not do it on its event loop.
import { toErrorPayload } from '../../core/app-api.js';
import { BuiltinEmbedder } from '../../core/embed/tfidf.js';
import type { RunLog } from '../../core/runlog.js';
import { embedAll, tune, type TuneOptions, type TuneResult } from '../../core/tune.js';

export interface TuneWorkerInput {
  log: RunLog;
  options: Omit<TuneOptions, 'onProgress' | 'embedderFactory'>;
}

/** A tune and every query's embedding under its embedder, row after row (`null` when the embedder is not the built-in one). */
export interface TuneOutcome extends TuneResult {
  embeddings: Float32Array | null;
}

async function tuneAndEmbed(input: TuneWorkerInput): Promise<TuneOutcome> {
  const result = await tune(input.log, input.options);
  const state = result.config.embedder.state;
  if (!state) return { ...result, embeddings: null };
  const rows = await embedAll(BuiltinEmbedder.fromState(state), input.log.queries.map((q) => q.prompt), () => undefined);
  const embeddings = new Float32Array(rows.length * state.dimensions);
  rows.forEach((row, i) => embeddings.set(row, i * state.dimensions));
  return { ...result, embeddings };
}

process.once('message', (input: TuneWorkerInput) => {
  tuneAndEmbed(input)
    .then((value) => ({ ok: true, value }), (err: unknown) => ({ ok: false, error: toErrorPayload(err) }))
    .then((reply) => process.send!(reply, () => process.disconnect()));
});
