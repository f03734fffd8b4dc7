/** Base class of every error Cascade Lab raises on purpose; `where` names the file, line, field or tier at fault. */
export class CascadeLabError extends Error {
  readonly where: string | undefined;
  constructor(message: string, where?: string) {
    super(where ? `${where}: ${message}` : message);
    this.name = new.target.name;
    this.where = where;
  }
}

/** A run log, pool file or tuned config that does not match its format. */
export class InvalidInputError extends CascadeLabError {}

/** Two sources disagree, or one source repeats itself (a duplicate (query, model) pair, say). */
export class ConflictError extends CascadeLabError {}

/** A request that cannot be met: an infeasible budget, an unknown model, an out-of-range setting. */
export class UnsatisfiableError extends CascadeLabError {}

/** A tier name that the pool does not list; the message names the tiers it has. */
export class UnknownTierError extends InvalidInputError {}

/** A line or row of an input file that cannot be parsed at all (bad JSON, a broken CSV row). */
export class MalformedLineError extends InvalidInputError {}

/** A table input lacks a column its column map names. */
export class MissingColumnError extends InvalidInputError {}

/** A response names a query the run log does not contain. */
export class UnknownQueryError extends InvalidInputError {}

/** The same (query, model) pair appears twice in one run log. */
export class DuplicatePairError extends ConflictError {}

/** An HTTP endpoint (an embedder, a tier) could not be reached; `where` names its URL. */
export class EndpointUnreachableError extends CascadeLabError {}

/** An HTTP endpoint answered with an error status; `where` names its URL. */
export class EndpointStatusError extends CascadeLabError {
  readonly status: number;
  constructor(status: number, message: string, where?: string) {
    super(`HTTP ${status}: ${message}`, where);
    this.status = status;
  }
}

/** An HTTP endpoint answered, but not in the shape its protocol promises; `where` names its URL. */
export class EndpointResponseError extends CascadeLabError {}

/** A resource (a model, an embedder, a cache) was used after dispose(). */
export class DisposedError extends CascadeLabError {}

/** A tuned config (or other versioned file) from a format version this build does not read. */
export class UnsupportedVersionError extends CascadeLabError {}

/** A setting outside its allowed range; the message names the setting and the range. */
export class OutOfRangeError extends CascadeLabError {}
