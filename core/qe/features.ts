import { z } from 'zod';
import { extractFinalAnswer, extractJsonAnswer, type AnswerKind } from '../extract.js';
import { InvalidInputError } from '../errors.js';
import type { LogprobSummary } from '../runlog.js';
import { addHashedBlock, charNgramHashes, withBigrams, wordHashes } from './hash.js';

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

function rawDense(input: QeInput, modelLogTokens: number): number[] {
  const logTokens = Math.log1p(tokensOf(input));
  const lp = input.logprobs;
  return [
    logTokens,
    logTokens - modelLogTokens,
    input.answer === null ? 1 : 0,
    extractJsonAnswer(input.response) === null ? 1 : 0,
    Math.log1p(input.answer?.length ?? 0),
    input.answer !== null && NUMBER_ONLY.test(input.answer) ? 1 : 0,
    lp ? 1 : 0,
    lp?.mean ?? 0,
    lp?.min ?? 0,
    lp?.entropy ?? 0,
    Math.log1p(input.query.length),
  ];
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
  for (const x of inputs) {
    const d = rawDense(x, modelLogTokens[mIndex.get(x.model)!]);
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

/**
 * The feature vector of one answer: hashed n-grams of the answer text, its final answer and the query;
 * one-hots of the model, the cluster and their pair; then the scaled dense signals.
 * A model or cluster outside the spec is an error: the QE was not trained on it.
 */
export function extractFeatures(spec: FeatureSpec, input: QeInput): SparseRow {
  const m = spec.models.indexOf(input.model);
  if (m < 0) throw new InvalidInputError(`model "${input.model}" is not known to the QE (known: ${spec.models.join(', ')})`, 'QE input');
  if (!Number.isInteger(input.cluster) || input.cluster < 0 || input.cluster >= spec.clusters) {
    throw new InvalidInputError(`cluster ${input.cluster} is outside 0..${spec.clusters - 1}`, 'QE input');
  }
  const bits = spec.hashBits;
  const slots: number[] = [];
  const values: number[] = [];
  addHashedBlock(slots, values, 'r', withBigrams(wordHashes(input.response, 600)), bits);
  if (input.answer !== null) {
    const a = input.answer.trim().toLowerCase().slice(0, 200);
    addHashedBlock(slots, values, 'a', charNgramHashes(a, 3), bits);
    addHashedBlock(slots, values, 'aw', wordHashes(a, 50), bits);
  }
  addHashedBlock(slots, values, 'q', wordHashes(input.query, 300), bits);
  const M = spec.models.length;
  const K = spec.clusters;
  let base = 1 << bits;
  slots.push(base + m, base + M + input.cluster, base + M + K + m * K + input.cluster);
  values.push(1, 1, 1);
  base += M + K + M * K;
  const dense = rawDense(input, spec.modelLogTokens[m]);
  for (let j = 0; j < dense.length; j++) {
    slots.push(base + j);
    values.push((dense[j] - spec.denseMean[j]) / spec.denseStd[j]);
  }
  return toSparseRow(slots, values);
}

// Reused accumulator: summing repeats in a dense scratch and sorting the touched slots as an
// Int32Array is several times faster than a Map or a comparator sort, and scoring is on the hot path.
let scratch = new Float64Array(0);

/** Sorts (slot, value) pairs by slot, summing repeats and dropping zeros. */
function toSparseRow(slots: number[], values: number[]): SparseRow {
  let max = 0;
  for (const s of slots) if (s > max) max = s;
  if (scratch.length <= max) scratch = new Float64Array(max + 1);
  const touched = new Int32Array(slots.length);
  let n = 0;
  for (let k = 0; k < slots.length; k++) {
    if (scratch[slots[k]] === 0) touched[n++] = slots[k];
    scratch[slots[k]] += values[k];
    // A sum that cancels to exactly 0 would be pushed again; the dedupe below handles it.
  }
  const sorted = touched.subarray(0, n).sort();
  const idx: number[] = [];
  const val: number[] = [];
  for (let k = 0; k < n; k++) {
    const slot = sorted[k];
    if (k > 0 && sorted[k - 1] === slot) continue;
    const v = scratch[slot];
    scratch[slot] = 0;
    if (v !== 0) {
      idx.push(slot);
      val.push(v);
    }
  }
  return { idx: Int32Array.from(idx), val: Float64Array.from(val) };
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
  return {
    query,
    response,
    answer: extractFinalAnswer(extra.answerKind ?? 'text', response).answer,
    model,
    cluster,
    ...(extra.outputTokens !== undefined && { outputTokens: extra.outputTokens }),
    ...(extra.logprobs && { logprobs: extra.logprobs }),
  };
}
