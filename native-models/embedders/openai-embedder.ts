import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { z } from 'zod';
import { EndpointResponseError, EndpointStatusError, EndpointUnreachableError, InvalidInputError } from '../../core/errors.js';
import { WorkGuard } from '../tiers/concurrency.js';
import type { ManagedEmbedder } from './managed-embedder.js';

export interface OpenAiEmbedderOptions {
  /** Environment variable holding the API key; local servers need none. Defaults to `'OPENAI_API_KEY'`, and to no key when that is unset. */
  apiKeyEnv?: string;
  /** Environment to read the key from. Defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Per-request timeout, ms. Defaults to `30000`. */
  timeoutMs?: number;
  /** Retries of a failed request (connection errors, 429, 5xx), with the SDK's backoff. Defaults to `2`. */
  maxRetries?: number;
  /** Texts per request. Defaults to `64`. */
  batchSize?: number;
}

const EmbeddingsResponse = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number().finite()).min(1) }).loose()),
}).loose();

/**
 * A client of an OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, llama.cpp's server, vLLM,
 * Ollama, …) through the `openai` package. Its dimensions are learned from one probe request at
 * creation, which also surfaces a wrong URL or model at once.
 */
export class OpenAiEmbedder implements ManagedEmbedder {
  readonly id: string;
  readonly dimensions: number;
  readonly url: string;
  readonly model: string;
  readonly #client: OpenAI;
  readonly #batchSize: number;
  readonly #guard: WorkGuard;

  private constructor(url: string, model: string, client: OpenAI, dimensions: number, batchSize: number) {
    this.url = url;
    this.model = model;
    this.id = `openai:${url}#${model}:d${dimensions}`;
    this.dimensions = dimensions;
    this.#client = client;
    this.#batchSize = batchSize;
    this.#guard = new WorkGuard(`embedder "openai:${url}#${model}"`);
  }

  /** Connects to the endpoint at `url` (the API base, such as `http://127.0.0.1:8080/v1`) and probes its dimensions. */
  static async create(url: string, model: string, options: OpenAiEmbedderOptions = {}): Promise<OpenAiEmbedder> {
    const env = options.env ?? process.env;
    const keyEnv = options.apiKeyEnv ?? 'OPENAI_API_KEY';
    const apiKey = env[keyEnv] || 'none';
    const batchSize = options.batchSize ?? 64;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new InvalidInputError(`batch size must be an integer ≥ 1, got ${batchSize}`, url);
    const baseURL = url.replace(/\/+$/, '').replace(/\/embeddings$/, '');
    const client = new OpenAI({ baseURL, apiKey, timeout: options.timeoutMs ?? 30_000, maxRetries: options.maxRetries ?? 2 });
    const [probe] = await request(client, baseURL, model, ['dimension probe'], null);
    return new OpenAiEmbedder(baseURL, model, client, probe.length, batchSize);
  }

  get disposed(): boolean {
    return this.#guard.disposed;
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    return this.#guard.run(async () => {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += this.#batchSize) {
        out.push(...(await request(this.#client, this.url, this.model, texts.slice(i, i + this.#batchSize), this.dimensions)));
      }
      return out;
    });
  }

  /** Waits for running requests; safe to call twice. The HTTP client holds nothing that needs closing. */
  dispose(): Promise<void> {
    return this.#guard.dispose(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** One embeddings request, with every failure turned into a typed error naming the URL. */
async function request(client: OpenAI, url: string, model: string, input: string[], dimensions: number | null): Promise<Float32Array[]> {
  const where = `${url}/embeddings`;
  let raw: unknown;
  try {
    // encoding_format 'float' stops the SDK asking for base64, which many compatible servers lack.
    raw = await client.embeddings.create({ model, input, encoding_format: 'float' });
  } catch (err) {
    if (err instanceof APIConnectionTimeoutError) throw new EndpointUnreachableError('embeddings request timed out', where);
    if (err instanceof APIConnectionError) throw new EndpointUnreachableError(`cannot connect (${causeOf(err)})`, where);
    if (err instanceof APIError && err.status !== undefined) throw new EndpointStatusError(err.status, err.message, where);
    if (err instanceof SyntaxError) throw new EndpointResponseError(`response is not JSON (${err.message})`, where);
    throw err;
  }
  const parsed = EmbeddingsResponse.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EndpointResponseError(`malformed embeddings response: field "${issue.path.join('.') || '(root)'}": ${issue.message}`, where);
  }
  const data = [...parsed.data.data].sort((a, b) => a.index - b.index);
  if (data.length !== input.length || data.some((d, i) => d.index !== i)) {
    throw new EndpointResponseError(`malformed embeddings response: ${data.length} embeddings for ${input.length} inputs`, where);
  }
  const dims = dimensions ?? data[0].embedding.length;
  const bad = data.find((d) => d.embedding.length !== dims);
  if (bad) throw new EndpointResponseError(`malformed embeddings response: embedding ${bad.index} has ${bad.embedding.length} dimensions, expected ${dims}`, where);
  return data.map((d) => Float32Array.from(d.embedding));
}

function causeOf(err: APIConnectionError): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}
