import { CascadeLabError, EndpointStatusError, EndpointUnreachableError, InvalidInputError } from '../../core/errors.js';

// One class per way a tier fails; `where` always names the tier (and the file or URL at fault).

/** A local tier's GGUF file does not exist (or a model URI could not be resolved). */
export class ModelFileNotFoundError extends CascadeLabError {}

/** A GGUF file exists but node-llama-cpp cannot load it (corrupt, truncated, unsupported). */
export class ModelLoadError extends CascadeLabError {}

/**
 * A local tier's prompt, plus the output tokens the call asked for, does not fit the tier's
 * context. `where` names the tier; the fields give the figures (`maxTokens` is null when the
 * prompt alone leaves no room for one output token). `code` is OpenAI's for the same refusal.
 */
export class ContextLengthExceededError extends InvalidInputError {
  readonly code = 'context_length_exceeded';
  constructor(
    readonly tier: string,
    readonly promptTokens: number,
    readonly maxTokens: number | null,
    readonly contextSize: number,
  ) {
    super(
      maxTokens === null
        ? `the prompt is ${promptTokens} tokens, which leaves no room for output in this tier's context of ${contextSize} tokens; shorten the prompt or give the tier a larger contextSize`
        : `the prompt's ${promptTokens} tokens plus maxTokens ${maxTokens} come to ${promptTokens + maxTokens}, more than this tier's context of ${contextSize} tokens; ` +
          `shorten the prompt, ask for at most ${contextSize - promptTokens} tokens, or give the tier a larger contextSize`,
      `tier "${tier}"`,
    );
  }
}

/** A cloud tier names an API-key environment variable that is not set. */
export class MissingApiKeyError extends CascadeLabError {}

/** A cloud endpoint did not answer, or stopped streaming, within the tier's timeout. */
export class TierTimeoutError extends CascadeLabError {}

/** A cloud tier's endpoint could not be reached: refused, reset or closed connection, unknown host. */
export class TierUnreachableError extends EndpointUnreachableError {}

/** A cloud tier's endpoint answered with an HTTP error status (after retries, for 429 and 5xx). */
export class TierHttpError extends EndpointStatusError {
  /** The wait the answer asked for before a retry (Retry-After), ms; undefined when it named none. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, message: string, where?: string, retryAfterMs?: number) {
    super(status, message, where);
    this.retryAfterMs = retryAfterMs;
  }
}

/** A cloud tier's endpoint sent an error, or something unreadable, inside its 200 event stream. */
export class TierStreamError extends CascadeLabError {}

/** `pool check` found tiers that cannot answer; `where` names the pool file, the message the tiers. */
export class TierCheckFailedError extends CascadeLabError {}

/**
 * A local tier's model does not fit the GPU memory its `gpuLayers` asks for (`"max"` that
 * cannot fit, or node-llama-cpp's InsufficientMemoryError); `where` names the tier, the message
 * the model, what it needs and what is free.
 */
export class GpuMemoryError extends CascadeLabError {}
