import { EventEmitter } from 'node:events';
import { GRADERS, graderFor, type Grader, type GraderName } from '../../core/graders.js';
import type { Query } from '../../core/runlog.js';
import type { GenerateRequest, GenerationResult, Tier } from '../../core/tier.js';
import { ContextLengthExceededError } from '../tiers/errors.js';
import { RunFailedError } from './errors.js';
import { perQueryReason, type UnansweredReason } from './failures.js';
import type { RunStore, TierTotals } from './run-store.js';

/** What a run reports as it goes; the CLI draws a progress bar from it, the UI its Runs view. */
export type RunEvent =
  | { type: 'start'; runId: string; tier: string; total: number; done: number }
  | { type: 'answer'; runId: string; tier: string; qid: string; correct: 0 | 1; answer: string | null; result: GenerationResult; done: number; total: number; ratePerS: number; etaS: number }
  /** The tier could not answer this query (stored with its reason; the run goes on). */
  | { type: 'unanswered'; runId: string; tier: string; qid: string; reason: UnansweredReason; error: Error; done: number; total: number }
  /** The call failed on the tier's side (not stored: a resumed run tries the query again). */
  | { type: 'failure'; runId: string; tier: string; qid: string; error: Error; done: number; total: number }
  | { type: 'paused'; runId: string; tier: string; done: number; total: number }
  | { type: 'resumed'; runId: string; tier: string; done: number; total: number }
  | { type: 'finish'; runId: string; tier: string; summary: RunSummary };

/**
 * The run's end for one tier. The stored figures (TierTotals: done, answered, correct, unanswered
 * by reason, tokens, cost, TTFT/TPOT medians) cover this session and earlier ones; the rest, this session.
 */
export interface RunSummary extends TierTotals {
  total: number;
  /** Share right among the answered queries (0 for none). */
  accuracy: number;
  /** Queries this session finished, answered or unanswered. */
  doneThisSession: number;
  /** Calls that failed on the tier's side in this session (not stored: a resumed run tries them again). */
  failed: number;
  /** This session's wall time, s. */
  elapsedS: number;
  /** True when the run stopped on abort before every query was finished. */
  aborted: boolean;
}

export interface BenchmarkRunOptions {
  store: RunStore;
  runId: string;
  tier: Tier;
  /** Grader for every query. Defaults to each query's task grader (`graderFor(task)`). */
  grader?: GraderName;
  /** Queries in flight at once. Defaults to `1`. */
  concurrency?: number;
  /** Send each prompt as one user chat message, or as a raw completion prompt. Defaults to `'chat'`. */
  format?: 'chat' | 'prompt';
  /** Per-call maximum of output tokens. Defaults to the tier's setting. */
  maxTokens?: number;
  /** Ask for token log-probabilities (stored as QE features). Defaults to `true`. */
  logprobs?: boolean;
  /**
   * Consecutive tier-level failures (unreachable, 5xx after retries, timeout, authentication)
   * after which the run gives up. A query's own failure (failures.ts) never counts. Defaults to `3`.
   */
  maxConsecutiveFailures?: number;
  /**
   * A prompt that does not fit the tier's context: `'skip'` stores it as unanswered (reason
   * `context_length`) and goes on; `'fail'` stops the run there. (Clipping the output to what
   * fits is the tier's own `contextOverflow`.) Defaults to `'skip'`.
   */
  contextOverflow?: 'fail' | 'skip';
  /** How to resume, for the message of a run that gave up. Defaults to starting the run again with the same run id. */
  resumeHint?: string;
  /** Stops the run: answers in flight are abandoned, stored ones stay. Defaults to none. */
  signal?: AbortSignal;
}

/**
 * Runs a benchmark's pending queries through one tier, grading and storing each answer as it
 * finishes (one transaction each), so a killed run resumes where it stopped. Emits `event`
 * (RunEvent) and can be paused and resumed; `done` settles with the summary.
 */
export class BenchmarkRun extends EventEmitter<{ event: [RunEvent] }> {
  readonly runId: string;
  readonly tier: string;
  readonly done: Promise<RunSummary>;
  readonly #options: BenchmarkRunOptions;
  readonly #queue: Query[];
  readonly #total: number;
  readonly #controller = new AbortController();
  #stored: number;
  #doneThisSession = 0;
  #failed = 0;
  #paused = false;
  #wakeUp: (() => void)[] = [];
  readonly #started = performance.now();

  private constructor(options: BenchmarkRunOptions) {
    super();
    this.#options = options;
    this.runId = options.runId;
    this.tier = options.tier.name;
    this.#queue = options.store.pending(options.runId, options.tier.name);
    this.#total = options.store.queries(options.runId).length;
    this.#stored = this.#total - this.#queue.length;
    options.signal?.addEventListener('abort', () => this.#controller.abort(options.signal?.reason), { once: true });
    // Started on the next tick so that listeners attached right after start() see every event.
    this.done = new Promise<void>((r) => setImmediate(r)).then(() => this.#run());
  }

  /** Starts the run; the run's queries must already be in the store (RunStore.ensureRun). */
  static start(options: BenchmarkRunOptions): BenchmarkRun {
    return new BenchmarkRun(options);
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Takes no new queries until resume(); queries in flight finish and are stored. */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#emit({ type: 'paused', runId: this.runId, tier: this.tier, done: this.#stored, total: this.#total });
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const wake of this.#wakeUp.splice(0)) wake();
    this.#emit({ type: 'resumed', runId: this.runId, tier: this.tier, done: this.#stored, total: this.#total });
  }

  /** Stops the run and waits for it to settle; safe to call twice. */
  async stop(): Promise<RunSummary> {
    this.#controller.abort(new Error('run stopped'));
    for (const wake of this.#wakeUp.splice(0)) wake();
    return this.done;
  }

  /** The run's events as an async iterator that ends after `finish` (for the UI's event stream). */
  async *events(): AsyncGenerator<RunEvent> {
    const buffered: RunEvent[] = [];
    let wake: (() => void) | undefined;
    const listener = (e: RunEvent) => {
      buffered.push(e);
      wake?.();
    };
    this.on('event', listener);
    try {
      for (;;) {
        while (buffered.length) {
          const e = buffered.shift()!;
          yield e;
          if (e.type === 'finish') return;
        }
        await new Promise<void>((r) => { wake = r; });
      }
    } finally {
      this.off('event', listener);
    }
  }

  #emit(e: RunEvent): void {
    this.emit('event', e);
  }

  async #run(): Promise<RunSummary> {
    const { store, tier, concurrency = 1, maxConsecutiveFailures = 3, contextOverflow = 'skip' } = this.#options;
    this.#emit({ type: 'start', runId: this.runId, tier: this.tier, total: this.#total, done: this.#stored });
    let consecutive = 0;
    let fatal: RunFailedError | undefined;
    const signal = this.#controller.signal;
    const worker = async () => {
      while (!signal.aborted && !fatal) {
        if (this.#paused) {
          await new Promise<void>((r) => this.#wakeUp.push(r));
          continue;
        }
        const query = this.#queue.shift();
        if (!query) return;
        const started = performance.now();
        try {
          const result = await tier.generate(this.#request(query), { signal });
          if (result.stopReason === 'abort') return;
          consecutive = 0;
          if (result.text.trim() === '') {
            this.#unanswered(query, 'empty', new Error('the tier finished without any output'), result.inputTokens, result.latencyMs);
            continue;
          }
          const grade = this.#grader(query)(result.text, query.reference ?? '');
          const answer = query.reference === null || query.reference === undefined ? { ...grade, correct: 0 as const } : grade;
          if (store.recordAnswer(this.runId, { qid: query.qid, tier: tier.name, result, answer: answer.answer, correct: answer.correct })) this.#finished();
          const elapsedS = (performance.now() - this.#started) / 1000;
          const ratePerS = this.#doneThisSession / Math.max(elapsedS, 1e-3);
          this.#emit({
            type: 'answer', runId: this.runId, tier: this.tier, qid: query.qid, correct: answer.correct, answer: answer.answer, result,
            done: this.#stored, total: this.#total, ratePerS, etaS: (this.#total - this.#stored) / Math.max(ratePerS, 1e-9),
          });
        } catch (err) {
          if (signal.aborted) return;
          const error = err instanceof Error ? err : new Error(String(err));
          const reason = perQueryReason(error);
          if (reason === 'context_length' && contextOverflow === 'fail') {
            fatal ??= new RunFailedError(`query "${query.qid}" does not fit and context overflow is set to fail (skip records such a query as unanswered and goes on): ${error.message}`, `tier "${this.tier}"`, error);
          } else if (reason) {
            consecutive = 0;
            const inputTokens = error instanceof ContextLengthExceededError ? error.promptTokens : 0;
            this.#unanswered(query, reason, error, inputTokens, performance.now() - started);
          } else {
            this.#failed++;
            this.#emit({ type: 'failure', runId: this.runId, tier: this.tier, qid: query.qid, error, done: this.#stored, total: this.#total });
            if (++consecutive >= maxConsecutiveFailures) fatal ??= this.#gaveUp(error, maxConsecutiveFailures);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    const summary = this.#summary(signal.aborted);
    this.#emit({ type: 'finish', runId: this.runId, tier: this.tier, summary });
    if (fatal) throw fatal;
    return summary;
  }

  #finished(): void {
    this.#stored++;
    this.#doneThisSession++;
  }

  #unanswered(query: Query, reason: UnansweredReason, error: Error, inputTokens: number, latencyMs: number): void {
    if (this.#options.store.recordUnanswered(this.runId, { qid: query.qid, tier: this.tier, reason, message: error.message, inputTokens, latencyMs })) this.#finished();
    this.#emit({ type: 'unanswered', runId: this.runId, tier: this.tier, qid: query.qid, reason, error, done: this.#stored, total: this.#total });
  }

  #gaveUp(last: Error, failures: number): RunFailedError {
    const hint = this.#options.resumeHint ?? 'start the run again with the same run id to resume';
    return new RunFailedError(
      `${failures} calls failed in a row on the tier's side, so the run stopped; the last: ${last.message}. ` +
        `${this.#stored} of ${this.#total} queries are finished and stored; once the tier is back, ${hint}; only the unfinished queries are sent.`,
      `tier "${this.tier}"`,
      last,
    );
  }

  #summary(aborted: boolean): RunSummary {
    const totals = this.#options.store.tierTotals(this.runId, this.tier);
    return {
      ...totals,
      total: this.#total,
      accuracy: totals.answered ? totals.correct / totals.answered : 0,
      doneThisSession: this.#doneThisSession,
      failed: this.#failed,
      elapsedS: (performance.now() - this.#started) / 1000,
      aborted: aborted && totals.done < this.#total,
    };
  }

  #request(query: Query): GenerateRequest {
    const { format = 'chat', maxTokens, logprobs = true } = this.#options;
    return {
      ...(format === 'chat' ? { messages: [{ role: 'user' as const, content: query.prompt }] } : { prompt: query.prompt }),
      ...(maxTokens !== undefined && { maxTokens }),
      logprobs,
    };
  }

  #grader(query: Query): Grader {
    return this.#options.grader ? GRADERS[this.#options.grader] : graderFor(query.task);
  }
}
