import { createParser } from 'eventsource-parser';
import { StringDecoder } from 'node:string_decoder';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionChunk, Completion, CompletionUsage } from 'openai/resources';
import { Cancellation } from '../../core/cancellation.js';
import { InvalidInputError } from '../../core/errors.js';
import { callCostUsd, type CloudTierSpec } from '../../core/pool.js';
import {
  LogprobAccumulator,
  entropyOf,
  tpotOf,
  type GenerateOptions,
  type GenerateRequest,
  type GenerationResult,
  type StopReason,
  type Tier,
} from '../../core/tier.js';
import { Semaphore, WorkGuard, delay } from './concurrency.js';
import { pooledFetch, type PooledFetch } from './pooled-fetch.js';
import { MissingApiKeyError, TierHttpError, TierStreamError, TierTimeoutError, TierUnreachableError } from './errors.js';
import { retryAfterMs, retryDelayMs } from './retry-after.js';

export interface CloudTierOptions {
  /** Where the API key variable is looked up. Defaults to `process.env`. */
  env?: Record<string, string | undefined>;
}

/** How many alternatives per token are asked for when log-probabilities are wanted (for the entropy). */
const TOP_LOGPROBS = 5;

/** The longest server-sent event accepted, in characters: a bound on what one stream may buffer. */
const MAX_EVENT_CHARS = 16 * 2 ** 20;

interface Attempt {
  text: string;
  stopReason: StopReason;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  pieces: number;
  firstAt: number;
  lastAt: number;
  logprobs: LogprobAccumulator | undefined;
}

/** Thrown inside an attempt when the idle timer fires; mapped to TierTimeoutError. */
class IdleTimeout extends Error {}

/** Thrown inside an attempt when the stream ends without a finish reason; mapped to TierUnreachableError. */
class StreamCutShort extends Error {}

/**
 * An OpenAI-compatible endpoint reached through the `openai` SDK, always streamed so TTFT and
 * TPOT come from the stream itself and token counts from its final `usage` chunk.
 */
export class CloudTier implements Tier {
  readonly kind = 'cloud' as const;
  readonly name: string;
  readonly spec: CloudTierSpec;
  readonly #client: OpenAI;
  readonly #transport: PooledFetch;
  readonly #slots: Semaphore;
  readonly #guard: WorkGuard;
  readonly #where: string;

  private constructor(spec: CloudTierSpec, client: OpenAI, transport: PooledFetch) {
    this.name = spec.name;
    this.spec = spec;
    this.#client = client;
    this.#transport = transport;
    this.#slots = new Semaphore(spec.concurrency);
    this.#where = `tier "${spec.name}" (${spec.baseUrl})`;
    this.#guard = new WorkGuard(`tier "${spec.name}"`);
  }

  /** Reads the API key from the named environment variable (a MissingApiKeyError when unset); sends nothing yet. */
  static async create(spec: CloudTierSpec, options: CloudTierOptions = {}): Promise<CloudTier> {
    const env = options.env ?? process.env;
    let apiKey = 'none';
    if (spec.apiKeyEnv !== undefined) {
      const value = env[spec.apiKeyEnv];
      if (!value) throw new MissingApiKeyError(`environment variable ${spec.apiKeyEnv} (the API key) is not set`, `tier "${spec.name}"`);
      apiKey = value;
    }
    // Retries are ours (the pool file's policy, never after output began); the SDK's are off.
    const transport = pooledFetch(spec.baseUrl, spec.concurrency);
    const client = new OpenAI({ baseURL: spec.baseUrl, apiKey, maxRetries: 0, timeout: spec.timeoutMs, fetch: transport.fetch });
    return new CloudTier(spec, client, transport);
  }

  get disposed(): boolean {
    return this.#guard.disposed;
  }

  generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerationResult> {
    return this.#guard.run(() => this.#generate(request, options));
  }

  async #generate(request: GenerateRequest, options: GenerateOptions): Promise<GenerationResult> {
    const started = performance.now();
    if ((request.prompt === undefined) === (request.messages === undefined || request.messages.length === 0)) {
      throw new InvalidInputError('give either a prompt or at least one message', `tier "${this.name}"`);
    }
    let release: () => void;
    try {
      release = await this.#slots.acquire(options.signal);
    } catch {
      return this.#result(emptyAttempt('abort'), started);
    }
    try {
      const retry = this.spec.retry;
      for (let attempt = 0; ; attempt++) {
        const state = emptyAttempt('length');
        try {
          await this.#attempt(request, options, state, started);
          // The SDK ends a stream quietly when its signal aborts; the caller's abort is not an error.
          if (options.signal?.aborted) state.stopReason = 'abort';
          return this.#result(state, started);
        } catch (err) {
          if (options.signal?.aborted) return this.#result({ ...state, stopReason: 'abort' }, started);
          const mapped = this.#mapError(err, attempt + 1);
          const retryable = mapped instanceof TierUnreachableError || (mapped instanceof TierHttpError && (mapped.status === 429 || mapped.status >= 500));
          // Output already streamed to the caller cannot be taken back, so never retry after it.
          if (!retryable || state.pieces > 0 || attempt >= retry.maxRetries) throw mapped;
          try {
            await delay(retryDelayMs(retry, attempt, mapped instanceof TierHttpError ? mapped.retryAfterMs : undefined), options.signal);
          } catch {
            return this.#result({ ...state, stopReason: 'abort' }, started);
          }
        }
      }
    } finally {
      release();
    }
  }

  async #attempt(request: GenerateRequest, options: GenerateOptions, state: Attempt, started: number): Promise<void> {
    const { signal, onToken } = options;
    const sampling = this.spec.sampling;
    // One per attempt, never the caller's signal: the SDK adds an abort listener to the signal it
    // is given and never removes it, so a caller's long-lived signal would gather one per call.
    const cancel = new Cancellation();
    // The SDK only reads `aborted` and adds an 'abort' listener (client.mjs makeRequest and
    // fetchWithTimeout), which a Cancellation does; a Node AbortSignal here would outlive young
    // GCs (see core/cancellation.ts). The abort and timeout tests cover this path.
    const sdkSignal = cancel as unknown as AbortSignal;
    const unfollow = cancel.follow(signal);
    let timedOut = false;
    const wantLogprobs = request.logprobs ?? false;
    state.logprobs = wantLogprobs ? new LogprobAccumulator() : undefined;
    const common = {
      model: this.spec.model,
      stream: true as const,
      stream_options: { include_usage: true },
      max_tokens: request.maxTokens ?? sampling.maxTokens,
      temperature: request.temperature ?? sampling.temperature,
      ...((request.topP ?? sampling.topP) !== undefined && { top_p: request.topP ?? sampling.topP }),
      ...((request.seed ?? sampling.seed) !== undefined && { seed: request.seed ?? sampling.seed }),
      ...((request.stop ?? sampling.stop).length > 0 && { stop: request.stop ?? sampling.stop }),
    };
    const emit = (text: string, logprob: number | undefined) => {
      if (!text) return;
      const now = performance.now() - started;
      if (state.pieces === 0) state.firstAt = now;
      state.lastAt = now;
      state.pieces++;
      state.text += text;
      onToken?.({ text, atMs: now, ...(logprob !== undefined && { logprob }) });
    };
    let finished = false;
    const finish = (reason: string | null | undefined) => {
      if (!reason) return;
      finished = true;
      state.stopReason = reason === 'length' ? 'length' : 'stop';
    };
    // One timer for the whole attempt, restarted by each chunk: `refresh` reuses it, where a new
    // timer per chunk would be garbage on the serving hot path.
    const timer = setTimeout(() => {
      timedOut = true;
      cancel.abort(new IdleTimeout());
    }, this.spec.timeoutMs);
    const arm = () => void timer.refresh();
    const onChat = (chunk: ChatCompletionChunk) => {
      usage(chunk.usage);
      const choice = chunk.choices[0];
      if (!choice) return;
      let last: number | undefined;
      for (const t of choice.logprobs?.content ?? []) {
        last = t.logprob;
        state.logprobs?.add(t.logprob, entropyOf([Math.exp(t.logprob), ...t.top_logprobs.filter((a) => a.token !== t.token).map((a) => Math.exp(a.logprob))]));
      }
      emit(choice.delta?.content ?? '', last);
      finish(choice.finish_reason);
    };
    const onCompletion = (chunk: Completion) => {
      usage(chunk.usage);
      const choice = chunk.choices[0];
      if (!choice) return;
      const lp = choice.logprobs;
      let last: number | undefined;
      (lp?.token_logprobs ?? []).forEach((logprob, i) => {
        const token = lp?.tokens?.[i];
        const alts = Object.entries(lp?.top_logprobs?.[i] ?? {}).filter(([t]) => t !== token).map(([, v]) => Math.exp(v));
        last = logprob;
        state.logprobs?.add(logprob, entropyOf([Math.exp(logprob), ...alts]));
      });
      emit(choice.text, last);
      finish(choice.finish_reason);
    };
    const usage = (u: CompletionUsage | null | undefined) => {
      if (!u) return;
      state.inputTokens = u.prompt_tokens;
      state.outputTokens = u.completion_tokens;
    };
    try {
      // The SDK builds, authenticates and sends the call, and turns an error status into its
      // typed APIError; the event stream itself is read here. The SDK's own stream reader (three
      // chained async generators and a byte buffer regrown per chunk) left about 1 MB per young-
      // generation GC alive at 500 requests/s, and those GCs, 4 to 7 ms each, were most of the
      // serving p99 (bench/serve).
      const response =
        request.messages !== undefined
          ? await this.#client.chat.completions
              .create(
                { ...common, messages: request.messages.map((m) => ({ role: m.role === 'tool' ? 'user' : m.role, content: m.content })), ...(wantLogprobs && { logprobs: true, top_logprobs: TOP_LOGPROBS }) },
                { signal: sdkSignal },
              )
              .asResponse()
          : await this.#client.completions.create({ ...common, prompt: request.prompt ?? '', ...(wantLogprobs && { logprobs: TOP_LOGPROBS }) }, { signal: sdkSignal }).asResponse();
      const chat = request.messages !== undefined;
      if ((response.headers.get('content-type') ?? '').includes('application/json')) {
        // Some OpenAI-compatible servers ignore `stream: true` and send the whole answer as one JSON body.
        const whole = (await response.json()) as { choices?: { message?: { content?: string | null }; text?: string; finish_reason?: string | null }[]; usage?: CompletionUsage };
        const choice = whole.choices?.[0];
        if (!choice) throw new TierStreamError('the endpoint answered a stream request with a JSON body that holds no choice', this.#where);
        usage(whole.usage);
        emit((chat ? choice.message?.content : choice.text) ?? '', undefined);
        finish(choice.finish_reason ?? 'stop');
        return;
      }
      const parser = createParser({
        maxBufferSize: MAX_EVENT_CHARS,
        onEvent: ({ data }) => {
          if (data.startsWith('[DONE]')) return;
          let chunk: { error?: { message?: unknown } };
          try {
            chunk = JSON.parse(data) as typeof chunk;
          } catch {
            throw new TierStreamError(`the endpoint sent an event that is not JSON: ${data.slice(0, 200)}`, this.#where);
          }
          // vLLM and OpenAI report a failure after the 200 status as an error event.
          if (chunk.error) throw new TierStreamError(`the endpoint reported an error mid-stream: ${String(chunk.error.message ?? JSON.stringify(chunk.error))}`, this.#where);
          if (chat) onChat(chunk as ChatCompletionChunk);
          else onCompletion(chunk as Completion);
        },
        onError: (err) => {
          // Unknown fields and bad `retry` values are ignored, as an EventSource would.
          if (err.type === 'max-buffer-size-exceeded') throw new TierStreamError(`the endpoint sent an event longer than ${MAX_EVENT_CHARS} characters`, this.#where);
        },
      });
      const text = new StringDecoder('utf8');
      // The transport (pooled-fetch.ts) hands back the body as a Node stream of Buffers.
      for await (const bytes of response.body as unknown as AsyncIterable<Buffer>) {
        arm();
        parser.feed(text.write(bytes));
      }
      parser.feed(text.end());
      if (timedOut) throw new IdleTimeout();
      if (!finished && !signal?.aborted) throw new StreamCutShort();
    } catch (err) {
      throw timedOut ? new IdleTimeout() : err;
    } finally {
      clearTimeout(timer);
      unfollow();
    }
  }

  #mapError(err: unknown, tries: number): Error {
    const after = tries > 1 ? ` after ${tries} tries` : '';
    if (err instanceof IdleTimeout || err instanceof APIConnectionTimeoutError) {
      return new TierTimeoutError(`no answer within ${this.spec.timeoutMs} ms${after}`, this.#where);
    }
    if (err instanceof StreamCutShort) return new TierUnreachableError('the stream ended before a finish reason (connection closed)', this.#where);
    if (err instanceof APIUserAbortError) return new TierTimeoutError(`request aborted${after}`, this.#where);
    if (err instanceof APIConnectionError) {
      const cause = (err.cause as Error | undefined)?.message ?? err.message;
      return new TierUnreachableError(`cannot reach the endpoint${after}: ${cause}`, this.#where);
    }
    if (err instanceof APIError && err.status !== undefined) {
      return new TierHttpError(err.status, `${err.message}${after}`, this.#where, retryAfterMs(err.headers));
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  #result(state: Attempt, started: number): GenerationResult {
    const latencyMs = performance.now() - started;
    // Endpoints that send no usage chunk: count streamed pieces (one token each on OpenAI's API).
    const outputTokens = state.outputTokens ?? state.pieces;
    const inputTokens = state.inputTokens ?? 0;
    const summary = state.logprobs?.summary();
    return {
      tier: this.name,
      text: state.text,
      stopReason: state.stopReason,
      inputTokens,
      outputTokens,
      ttftMs: state.pieces > 0 ? state.firstAt : latencyMs,
      tpotMs: tpotOf(state.firstAt, state.lastAt, outputTokens),
      latencyMs,
      costUsd: callCostUsd(this.spec, inputTokens, outputTokens),
      ...(summary && { logprobs: summary }),
    };
  }

  onDispose(listener: () => void): void {
    this.#guard.onDispose(listener);
  }

  /** Waits for running calls; safe to call twice. */
  dispose(): Promise<void> {
    return this.#guard.dispose(() => this.#transport.close());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

function emptyAttempt(stopReason: StopReason): Attempt {
  return { text: '', stopReason, inputTokens: undefined, outputTokens: undefined, pieces: 0, firstAt: 0, lastAt: 0, logprobs: undefined };
}
