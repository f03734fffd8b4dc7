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
