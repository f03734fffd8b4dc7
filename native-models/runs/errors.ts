import { CascadeLabError } from '../../core/errors.js';

/** A benchmark run gave up because its tier kept failing; `cause` is the last failure, `where` the tier. */
export class RunFailedError extends CascadeLabError {
  constructor(message: string, where: string, cause: Error) {
    super(message, where);
    this.cause = cause;
  }
}
