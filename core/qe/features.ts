import { z } from 'zod';
import { extractFinalAnswer, extractJsonAnswer, type AnswerKind } from '../extract.js';
import { InvalidInputError } from '../errors.js';
import type { LogprobSummary } from '../runlog.js';
import { addHashedBlock, appendBigrams, charNgramHashesInto, FeatureBuffer, HashBuffer, wordHashesInto } from './hash.js';

/**
 * What the QE reads about one answer. Everything here is known at request time, after the
 * cheap pass has run: nothing refers to the reference answer or to other models' answers.
 */
export interface QeInput {
  /** The query text as the model received it. */
  query: string;
  /** The model's raw output text. */
  response: string;
  /** The extracted final answer; null when none could be found. */
  answer: string | null;
  /**
   * Whether `response` holds a well-formed JSON object with an `answer` field (`extractFinalAnswer`'s
   * `wellFormed`). Worked out from `response` when absent; a caller that has just extracted the
   * answer passes it so the response is not parsed twice.
   */
  wellFormed?: boolean;
  /** The model (tier) that wrote the answer. */
  model: string;
  /** The query's stage-1 cluster. */
  cluster: number;
  /** Output tokens of the answer; estimated from its length (4 characters a token) when absent. */
  outputTokens?: number;
  /** Token log-probability summary, where the tier or log has one. */
  logprobs?: LogprobSummary;
}

/** One sparse feature vector: sorted slot indices and their values. */
export interface SparseRow {
  idx: Int32Array;
  val: Float64Array;
}

/** Names of the dense features, in slot order (they follow the hashed and one-hot blocks). */
export const DENSE_FEATURES = [
  'logOutputTokens',
  'lengthVsModel',
  'noFinalAnswer',
  'notWellFormed',
  'logAnswerChars',
  'answerIsNumber',
  'hasLogprobs',
  'logprobMean',
  'logprobMin',
  'logprobEntropy',
  'logQueryChars',
] as const;

/** The fitted layout of the feature space; serialised inside the QE model. */
export const FeatureSpecSchema = z.object({
  hashBits: z.number().int().min(8).max(24),
  models: z.array(z.string().min(1)).min(1),
  clusters: z.number().int().positive(),
  /** Per model: mean log output tokens on the training answers, for the relative-length feature. */
  modelLogTokens: z.array(z.number()),
  denseMean: z.array(z.number()).length(DENSE_FEATURES.length),
  denseStd: z.array(z.number().positive()).length(DENSE_FEATURES.length),
});
export type FeatureSpec = z.infer<typeof FeatureSpecSchema>;

export interface FeatureSpecOptions {
  /** log2 of the number of hashed text slots. Defaults to `14`. */
  hashBits?: number;
}

/** Total number of feature slots (the weight vector's length, without the intercept). */
export function featureDim(spec: FeatureSpec): number {
  const M = spec.models.length;
  return (1 << spec.hashBits) + M + spec.clusters + M * spec.clusters + DENSE_FEATURES.length;
}

const NUMBER_ONLY = /^\s*[-+]?\$?\s*[\d,]*\.?\d+\s*$/;

function tokensOf(input: QeInput): number {
  return input.outputTokens ?? Math.ceil(input.response.length / 4);
}

/** The unscaled dense features of one answer, written into `out` (DENSE_FEATURES order). */
function rawDense(input: QeInput, modelLogTokens: number, out: Float64Array): Float64Array {
  const logTokens = Math.log1p(tokensOf(input));
  const lp = input.logprobs;
  const wellFormed = input.wellFormed ?? extractJsonAnswer(input.response) !== null;
  out[0] = logTokens;
  out[1] = logTokens - modelLogTokens;
  out[2] = input.answer === null ? 1 : 0;
  out[3] = wellFormed ? 0 : 1;
  out[4] = Math.log1p(input.answer?.length ?? 0);
  out[5] = input.answer !== null && NUMBER_ONLY.test(input.answer) ? 1 : 0;
  out[6] = lp ? 1 : 0;
  out[7] = lp?.mean ?? 0;
  out[8] = lp?.min ?? 0;
  out[9] = lp?.entropy ?? 0;
  out[10] = Math.log1p(input.query.length);
  return out;
}

/** Fits the feature layout (pool, cluster count, dense scaling) on the QE's training inputs. */
export function fitFeatureSpec(inputs: readonly QeInput[], models: readonly string[], clusters: number, options: FeatureSpecOptions = {}): FeatureSpec {
  const hashBits = options.hashBits ?? 14;
  if (inputs.length === 0) throw new InvalidInputError('no training answers for the QE');
  const mIndex = new Map(models.map((m, i) => [m, i]));
  const sum = new Float64Array(models.length);
  const count = new Float64Array(models.length);
  for (const x of inputs) {
    const m = mIndex.get(x.model);
    if (m === undefined) throw new InvalidInputError(`QE training answer from model "${x.model}" which is not in the pool`);
    sum[m] += Math.log1p(tokensOf(x));
    count[m]++;
  }
  const all = inputs.reduce((s, x) => s + Math.log1p(tokensOf(x)), 0) / inputs.length;
  const modelLogTokens = Array.from(sum, (s, m) => (count[m] > 0 ? s / count[m] : all));
  const D = DENSE_FEATURES.length;
  const mean = new Array<number>(D).fill(0);
  const sq = new Array<number>(D).fill(0);
  const d = new Float64Array(D);
  for (const x of inputs) {
    rawDense(x, modelLogTokens[mIndex.get(x.model)!], d);
    for (let j = 0; j < D; j++) {
      mean[j] += d[j];
      sq[j] += d[j] * d[j];
    }
  }
  const n = inputs.length;
  const denseMean = mean.map((s) => s / n);
  // A constant feature (no logprobs in the log, say) gets std 1 so it simply contributes nothing.
  const denseStd = sq.map((s, j) => Math.sqrt(Math.max(s / n - denseMean[j] ** 2, 0)) || 1);
  return { hashBits, models: [...models], clusters, modelLogTokens, denseMean, denseStd };
}

/** A feature row in shared scratch arrays: the first `length` entries, valid until the next call. */
export interface ScratchRow {
  idx: Int32Array;
  val: Float64Array;
  length: number;
}

// Scratch of the hot path, reused by every call (the core is single-threaded): the hashes of
// one text block, the unsorted (slot, value) pairs, a dense accumulator over the feature space
// (summing repeats there and sorting the touched slots as an Int32Array is several times faster
// than a Map or a comparator sort), and the sorted row.
const keys = new HashBuffer();
const pairs = new FeatureBuffer();
const dense = new Float64Array(DENSE_FEATURES.length);
let accumulator = new Float64Array(0);
let touched = new Int32Array(0);
const scratch: ScratchRow = { idx: new Int32Array(0), val: new Float64Array(0), length: 0 };

/**
 * The feature vector of one answer into shared scratch arrays, allocating nothing: what
 * scoring reads. `extractFeatures` returns a copy that can be kept.
 */
export function extractFeaturesScratch(spec: FeatureSpec, input: QeInput): ScratchRow {
  const m = spec.models.indexOf(input.model);
  if (m < 0) throw new InvalidInputError(`model "${input.model}" is not known to the QE (known: ${spec.models.join(', ')})`, 'QE input');
  if (!Number.isInteger(input.cluster) || input.cluster < 0 || input.cluster >= spec.clusters) {
    throw new InvalidInputError(`cluster ${input.cluster} is outside 0..${spec.clusters - 1}`, 'QE input');
  }
  const bits = spec.hashBits;
  pairs.length = 0;
  keys.length = 0;
  wordHashesInto(input.response, 600, keys);
  appendBigrams(keys, 0);
  addHashedBlock(pairs, 'r', keys, bits);
  if (input.answer !== null) {
    const a = input.answer.trim().toLowerCase().slice(0, 200);
    keys.length = 0;
    charNgramHashesInto(a, 3, keys);
    addHashedBlock(pairs, 'a', keys, bits);
    keys.length = 0;
    wordHashesInto(a, 50, keys);
    addHashedBlock(pairs, 'aw', keys, bits);
  }
  keys.length = 0;
  wordHashesInto(input.query, 300, keys);
  addHashedBlock(pairs, 'q', keys, bits);
  const M = spec.models.length;
  const K = spec.clusters;
  let base = 1 << bits;
  pairs.push(base + m, 1);
  pairs.push(base + M + input.cluster, 1);
  pairs.push(base + M + K + m * K + input.cluster, 1);
  base += M + K + M * K;
  rawDense(input, spec.modelLogTokens[m], dense);
  for (let j = 0; j < dense.length; j++) pairs.push(base + j, (dense[j] - spec.denseMean[j]) / spec.denseStd[j]);
  return sortPairs(featureDim(spec));
}

/**
 * The feature vector of one answer: hashed n-grams of the answer text, its final answer and the query;
 * one-hots of the model, the cluster and their pair; then the scaled dense signals.
 * A model or cluster outside the spec is an error: the QE was not trained on it.
 */
export function extractFeatures(spec: FeatureSpec, input: QeInput): SparseRow {
  const row = extractFeaturesScratch(spec, input);
  return { idx: row.idx.slice(0, row.length), val: row.val.slice(0, row.length) };
}

/** Sorts `pairs` by slot into `scratch`, summing repeats and dropping zeros. */
function sortPairs(dim: number): ScratchRow {
  const n = pairs.length;
  const { slots, values } = pairs;
  if (accumulator.length < dim) accumulator = new Float64Array(dim);
  if (touched.length < n) {
    touched = new Int32Array(Math.max(n, touched.length * 2));
    scratch.idx = new Int32Array(touched.length);
    scratch.val = new Float64Array(touched.length);
  }
  let t = 0;
  for (let k = 0; k < n; k++) {
    const slot = slots[k];
    if (accumulator[slot] === 0) touched[t++] = slot;
    accumulator[slot] += values[k];
    // A sum that cancels to exactly 0 would be listed again; the dedupe below handles it.
  }
  const sorted = touched.subarray(0, t).sort();
  const { idx, val } = scratch;
  let out = 0;
  for (let k = 0; k < t; k++) {
    const slot = sorted[k];
    if (k > 0 && sorted[k - 1] === slot) continue;
    const v = accumulator[slot];
    accumulator[slot] = 0;
    if (v !== 0) {
      idx[out] = slot;
      val[out++] = v;
    }
  }
  scratch.length = out;
  return scratch;
}

/**
 * The QE input of a live answer: the final answer is extracted from the raw text the way the run
 * logs were graded (`answerKind`: numeric, choice or text; the cascade config keeps one per cluster).
 */
export function qeInputFor(
  query: string,
  response: string,
  model: string,
  cluster: number,
  extra: { answerKind?: AnswerKind; outputTokens?: number; logprobs?: LogprobSummary } = {},
): QeInput {
  const { answer, wellFormed } = extractFinalAnswer(extra.answerKind ?? 'text', response);
  return {
    query,
    response,
    answer,
    wellFormed,
    model,
    cluster,
    ...(extra.outputTokens !== undefined && { outputTokens: extra.outputTokens }),
    ...(extra.logprobs && { logprobs: extra.logprobs }),
  };
}
