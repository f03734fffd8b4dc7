import { ConflictError, InvalidInputError } from './errors.js';
import type { ModelResponse, RunLog } from './runlog.js';

/**
 * A run log as dense query × model matrices, the shape every engine step works on.
 * Cell (q, m) lives at index `q * models.length + m`.
 */
export interface Workload {
  qids: string[];
  tasks: string[];
  prompts: string[];
  references: (string | null)[];
  models: string[];
  /** 1 right, 0 wrong, -1 not answered (unknown: excluded from every rate, never counted as wrong). */
  correct: Int8Array;
  /** Per cell; NaN where unknown. */
  outputTokens: Float64Array;
  /** Per query; NaN where unknown. */
  promptTokens: Float64Array;
  /** Per cell: cost recorded by the log itself; NaN where the log has none. */
  costUsd: Float64Array;
  tpotMs: Float64Array;
  latencyMs: Float64Array;
  /** Per cell: the answer text and extracted answer, for the QE; null where not answered. */
  responses: (ModelResponse | null)[];
}

/** Where cell (q, m) lives in a workload's per-cell arrays (and in cost matrices of the same shape). */
export function cellIndex(w: Workload, q: number, m: number): number {
  return q * w.models.length + m;
}

/** Builds the dense workload of a (joined) run log; a response naming an unknown query or model is an error. */
export function buildWorkload(log: RunLog): Workload {
  const qIndex = new Map<string, number>();
  log.queries.forEach((q, i) => {
    if (qIndex.has(q.qid)) throw new ConflictError(`duplicate query "${q.qid}"`, log.sources.map((s) => s.path).join(', '));
    qIndex.set(q.qid, i);
  });
  const mIndex = new Map(log.models.map((m, i) => [m, i]));
  const Q = log.queries.length;
  const M = log.models.length;
  const nan = () => new Float64Array(Q * M).fill(Number.NaN);
  const w: Workload = {
    qids: log.queries.map((q) => q.qid),
    tasks: log.queries.map((q) => q.task),
    prompts: log.queries.map((q) => q.prompt),
    references: log.queries.map((q) => q.reference ?? null),
    models: [...log.models],
    correct: new Int8Array(Q * M).fill(-1),
    outputTokens: nan(),
    promptTokens: Float64Array.from(log.queries, (q) => q.promptTokens ?? Number.NaN),
    costUsd: nan(),
    tpotMs: nan(),
    latencyMs: nan(),
    responses: new Array<ModelResponse | null>(Q * M).fill(null),
  };
  for (const r of log.responses) {
    const q = qIndex.get(r.qid);
    if (q === undefined) throw new InvalidInputError(`response for unknown query "${r.qid}" (model "${r.model}")`);
    const m = mIndex.get(r.model);
    if (m === undefined) throw new InvalidInputError(`response from model "${r.model}" which is not in the pool`);
    const i = q * M + m;
    if (w.correct[i] !== -1) throw new ConflictError(`duplicate (query, model) pair ("${r.qid}", "${r.model}")`);
    w.correct[i] = r.correct;
    w.outputTokens[i] = r.outputTokens ?? Number.NaN;
    w.costUsd[i] = r.costUsd ?? Number.NaN;
    w.tpotMs[i] = r.tpotMs ?? Number.NaN;
    w.latencyMs[i] = r.latencyMs ?? Number.NaN;
    w.responses[i] = r;
  }
  return w;
}

/** The sub-workload of the given query indices (for train/test splits), sharing no arrays with the original. */
export function selectQueries(w: Workload, rows: ArrayLike<number>): Workload {
  const M = w.models.length;
  const n = rows.length;
  const pickCells = <T extends Float64Array | Int8Array>(src: T, make: (len: number) => T): T => {
    const out = make(n * M);
    for (let i = 0; i < n; i++) out.set(src.subarray(rows[i] * M, rows[i] * M + M), i * M);
    return out;
  };
  const pick = <T>(src: T[]): T[] => Array.from({ length: n }, (_, i) => src[rows[i]]);
  const responses: (ModelResponse | null)[] = [];
  for (let i = 0; i < n; i++) for (let m = 0; m < M; m++) responses.push(w.responses[cellIndex(w, rows[i], m)]);
  return {
    qids: pick(w.qids),
    tasks: pick(w.tasks),
    prompts: pick(w.prompts),
    references: pick(w.references),
    models: [...w.models],
    correct: pickCells(w.correct, (l) => new Int8Array(l)),
    outputTokens: pickCells(w.outputTokens, (l) => new Float64Array(l)),
    promptTokens: Float64Array.from({ length: n }, (_, i) => w.promptTokens[rows[i]]),
    costUsd: pickCells(w.costUsd, (l) => new Float64Array(l)),
    tpotMs: pickCells(w.tpotMs, (l) => new Float64Array(l)),
    latencyMs: pickCells(w.latencyMs, (l) => new Float64Array(l)),
    responses,
  };
}
