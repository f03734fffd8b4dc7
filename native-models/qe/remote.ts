import { z } from 'zod';
import { onAbort } from '../../core/cancellation.js';
import { EndpointResponseError, EndpointStatusError, EndpointUnreachableError, InvalidInputError } from '../../core/errors.js';
import type { QeBackend } from '../../core/qe/backend.js';
import type { QeInput } from '../../core/qe/features.js';
import type { AbortSignalLike } from '../../core/tier.js';

export interface RemoteQeOptions {
  /** Sent as `Authorization: Bearer …` when set. Defaults to none. */
  apiKey?: string;
  /** Per request, ms. Defaults to `10000`. */
  timeoutMs?: number;
  /** Answers per request at most. Defaults to `64`. */
  batchSize?: number;
}

/**
 * The wire format, both ways. Request: `{"inputs": [{query, response, answer, model, cluster,
 * outputTokens?, logprobs?}]}`. Response: `{"scores": [p, …]}`, one probability per input.
 */
const ResponseSchema = z.object({ scores: z.array(z.number().min(0).max(1)) });

/** A remote classifier (a fine-tuned ModernBERT behind an HTTP endpoint, say) as a QE back end. */
export class RemoteQe implements QeBackend {
  readonly name: string;
  readonly #url: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #batchSize: number;

  constructor(url: string, options: RemoteQeOptions = {}) {
    try {
      new URL(url);
    } catch {
      throw new InvalidInputError(`not a URL: "${url}"`, 'remote QE');
    }
    this.#url = url;
    this.name = `remote:${url}`;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#batchSize = options.batchSize ?? 64;
  }

  async score(inputs: readonly QeInput[], options: { signal?: AbortSignalLike } = {}): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < inputs.length; i += this.#batchSize) out.push(...(await this.#post(inputs.slice(i, i + this.#batchSize), options.signal)));
    return out;
  }

  async #post(batch: readonly QeInput[], signal: AbortSignalLike | undefined): Promise<number[]> {
    // The caller's signal is any AbortSignalLike (a core Cancellation, say), which fetch cannot
    // take, so it and the timeout both abort one controller of this call's own.
    const call = new AbortController();
    const timer = setTimeout(() => call.abort(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    const unfollow = onAbort(signal, (reason) => call.abort(reason));
    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.#apiKey && { authorization: `Bearer ${this.#apiKey}` }) },
        body: JSON.stringify({ inputs: batch }),
        signal: call.signal,
      });
    } catch (err) {
      throw new EndpointUnreachableError(`cannot reach the QE endpoint (${call.signal.aborted ? String((call.signal.reason as Error | undefined)?.message ?? call.signal.reason) : (err as Error).message})`, this.#url);
    } finally {
      clearTimeout(timer);
      unfollow();
    }
    const text = await res.text();
    if (!res.ok) throw new EndpointStatusError(res.status, text.slice(0, 200), this.#url);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new EndpointResponseError(`the QE endpoint did not answer JSON: ${text.slice(0, 100)}`, this.#url);
    }
    const parsed = ResponseSchema.safeParse(raw);
    if (!parsed.success) throw new EndpointResponseError(`the QE endpoint's answer is not {"scores": [p in 0..1, …]}: ${parsed.error.issues[0].message}`, this.#url);
    if (parsed.data.scores.length !== batch.length) throw new EndpointResponseError(`the QE endpoint returned ${parsed.data.scores.length} scores for ${batch.length} answers`, this.#url);
    return parsed.data.scores;
  }

  async dispose(): Promise<void> {}
}
