import { CascadeLabError, EndpointStatusError, EndpointUnreachableError } from '../../core/errors.js';

// One class per way a tier fails; `where` always names the tier (and the file or URL at fault).

/** A local tier's GGUF file does not exist (or a model URI could not be resolved). */
export class ModelFileNotFoundError extends CascadeLabError {}

/** A GGUF file exists but node-llama-cpp cannot load it (corrupt, truncated, unsupported). */
export class ModelLoadError extends CascadeLabError {}

/** A cloud tier names an API-key environment variable that is not set. */
export class MissingApiKeyError extends CascadeLabError {}

/** A cloud endpoint did not answer, or stopped streaming, within the tier's timeout. */
export class TierTimeoutError extends CascadeLabError {}

/** A cloud tier's endpoint could not be reached: refused, reset or closed connection, unknown host. */
export class TierUnreachableError extends EndpointUnreachableError {}

/** A cloud tier's endpoint answered with an HTTP error status (after retries, for 429 and 5xx). */
export class TierHttpError extends EndpointStatusError {}

/** A tier name that the pool does not list. */
export class UnknownTierError extends CascadeLabError {}

/** `pool check` found tiers that cannot answer; `where` names the pool file, the message the tiers. */
export class TierCheckFailedError extends CascadeLabError {}
