import { CascadeLabError } from '../../core/errors.js';
import type { Fallback } from '../cascade/tier-call.js';

/**
 * A request the endpoint refuses: carries the HTTP status and the fields of an
 * OpenAI-style error body, so every refusal reads the same to any OpenAI client.
 */
export abstract class ServeRequestError extends CascadeLabError {
  abstract readonly status: number;
  abstract readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  constructor(message: string, param: string | null = null, code: string | null = null) {
    super(message);
    this.param = param;
    this.code = code;
  }
  /** The `{error: {message, type, param, code}}` body OpenAI clients parse. */
  toBody(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** Malformed JSON, a missing or mistyped field, an unsupported option. */
export class InvalidRequestError extends ServeRequestError {
  readonly status = 400;
  readonly type = 'invalid_request_error';
}

/** The input is longer than the endpoint accepts (body bytes or prompt characters). */
export class InputTooLongError extends ServeRequestError {
  readonly status: number;
  readonly type = 'invalid_request_error';
  constructor(message: string, status: 400 | 413, param: string | null = null) {
    super(message, param, 'context_length_exceeded');
    this.status = status;
  }
}

/** The `model` field names neither the router nor a tier of the pool. */
export class UnknownModelError extends ServeRequestError {
  readonly status = 404;
  readonly type = 'invalid_request_error';
  constructor(model: string, known: readonly string[]) {
    super(`The model "${model}" does not exist here; known: ${known.join(', ')}`, 'model', 'model_not_found');
  }
}

/** No or a wrong bearer token while the endpoint requires one. */
export class AuthenticationError extends ServeRequestError {
  readonly status = 401;
  readonly type = 'invalid_request_error';
  constructor() {
    super('Missing or invalid bearer token in the Authorization header', null, 'invalid_api_key');
  }
}

/** A request a browser may have been tricked into sending: a Host or Origin this server does not answer to. */
export class ForbiddenError extends ServeRequestError {
  readonly status = 403;
  readonly type = 'invalid_request_error';
}

/** A POST body that is not declared `application/json` (a cross-site form or `text/plain` post). */
export class UnsupportedMediaTypeError extends ServeRequestError {
  readonly status = 415;
  readonly type = 'invalid_request_error';
  constructor(given: string) {
    super(`The request body must be sent as application/json, not ${given === '' ? 'without a content type' : `"${given}"`}`, null, 'unsupported_media_type');
  }
}

/** No route for this method and path. */
export class RouteNotFoundError extends ServeRequestError {
  readonly status = 404;
  readonly type = 'invalid_request_error';
  constructor(method: string, path: string) {
    super(`No route for ${method} ${path}`, null, 'unknown_url');
  }
}

/** The server is shutting down or has no config loaded. */
export class NotReadyError extends ServeRequestError {
  readonly status = 503;
  readonly type = 'server_error';
}

/** Every tier the request could fall back to failed; `attempts` says how each one failed. */
export class AllTiersFailedError extends ServeRequestError {
  readonly status = 502;
  readonly type = 'server_error';
  /** Each failure in turn, as a trace lists them: the last one's `to` is null (nothing was left). */
  constructor(readonly fallbacks: readonly Fallback[]) {
    super(`Every tier on the ladder failed: ${fallbacks.map((f) => `${f.from} (${f.reason})`).join(', ')}`, null, 'upstream_failed');
  }
}

/** A tier failed after it had already streamed part of its answer to the client, so no failover was possible. */
export class StreamInterruptedError extends ServeRequestError {
  readonly status = 502;
  readonly type = 'server_error';
  constructor(tier: string, reason: string) {
    super(`Tier "${tier}" failed mid-stream (${reason}); the answer is incomplete`, null, 'stream_interrupted');
  }
}

/** A new config or pool file was refused on (re)load; the previous one keeps serving. */
export class ConfigRejectedError extends CascadeLabError {}
