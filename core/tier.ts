import type { LogprobSummary } from './runlog.js';

/** A chat message, OpenAI-style. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
}

/** Sampling settings of one call; a tier's own defaults fill what is left out. */
export interface SamplingOptions {
  /** Defaults to the tier's setting (0 for greedy where the tier has none). */
  temperature?: number;
  topP?: number;
  /** Defaults to the tier's setting. */
  maxTokens?: number;
  seed?: number;
  stop?: string[];
}

export interface GenerateRequest extends SamplingOptions {
  /** Either chat messages or a raw completion prompt. */
  messages?: ChatMessage[];
  prompt?: string;
  /** Ask for token log-probabilities (for the QE), where the tier can give them. Defaults to `false`. */
  logprobs?: boolean;
}

export type StopReason = 'stop' | 'length' | 'abort' | 'error';

/** One streamed piece of output with the time it arrived, in ms since the call began. */
export interface TokenEvent {
  text: string;
  atMs: number;
  /** Natural-log probability of this token, where the tier can give it and it was asked for. */
  logprob?: number;
}

/** What every call returns: the text, its measured timings and token counts. */
export interface GenerationResult {
  tier: string;
  text: string;
  stopReason: StopReason;
  inputTokens: number;
  outputTokens: number;
  /** Time to first token, ms. */
  ttftMs: number;
  /** Time per output token after the first, ms (0 for one token or none). */
  tpotMs: number;
  /** End-to-end, ms. */
  latencyMs: number;
  costUsd: number;
  logprobs?: LogprobSummary;
}

/**
 * The part of the web-standard AbortSignal the core relies on; the core compiles without
 * DOM or Node types, and both runtimes' AbortSignal satisfy this shape.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface GenerateOptions {
  /** Aborting ends the call early with stopReason `abort` and the text so far. */
  signal?: AbortSignalLike;
  onToken?: (event: TokenEvent) => void;
}

/** One model of the pool, local or remote. Implementations live in native-models/. */
export interface Tier {
  readonly name: string;
  readonly kind: 'local' | 'cloud';
  generate(request: GenerateRequest, options?: GenerateOptions): Promise<GenerationResult>;
  /** Safe to call twice; waits for running calls to settle. Calls after it throw. */
  dispose(): Promise<void>;
  readonly disposed: boolean;
}

/**
 * Builds an answer's LogprobSummary one token at a time. `entropy` is the token's entropy in nats
 * over the distribution the tier exposes: the whole vocabulary for a local tier; for a cloud tier,
 * its top alternatives plus one bucket for the remaining mass (a lower bound).
 */
export class LogprobAccumulator {
  #sum = 0;
  #min = 0;
  #entropy = 0;
  #n = 0;

  add(logprob: number, entropy: number): void {
    this.#sum += logprob;
    this.#min = this.#n === 0 ? logprob : Math.min(this.#min, logprob);
    this.#entropy += entropy;
    this.#n++;
  }

  /** Undefined when no token was added. */
  summary(): LogprobSummary | undefined {
    if (this.#n === 0) return undefined;
    return { mean: this.#sum / this.#n, min: this.#min, entropy: Math.max(0, this.#entropy / this.#n) };
  }
}

/** Entropy in nats of a token distribution given as probabilities; mass missing from `probs` counts as one more outcome. */
export function entropyOf(probs: Iterable<number>): number {
  let h = 0;
  let total = 0;
  for (const p of probs) {
    if (p > 0) h -= p * Math.log(p);
    total += p;
  }
  const rest = 1 - total;
  if (rest > 1e-9) h -= rest * Math.log(rest);
  return h;
}

/** TPOT from the first and last token times: 0 for one token or none. */
export function tpotOf(firstTokenAtMs: number, lastTokenAtMs: number, outputTokens: number): number {
  return outputTokens > 1 ? (lastTokenAtMs - firstTokenAtMs) / (outputTokens - 1) : 0;
}
