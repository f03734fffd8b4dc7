import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Llama, LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';
import { normalise } from '../../core/embedder.js';
import { WorkGuard } from '../tiers/concurrency.js';
import { ModelLoadError } from '../tiers/errors.js';
import { sharedLlama } from '../tiers/llama-instance.js';
import { resolveModelPath, type ModelResolveOptions } from '../tiers/resolve-model.js';
import type { ManagedEmbedder } from './managed-embedder.js';

/** Also `modelsDir` and `download`: where an `hf:` URI's file is found (see ModelResolveOptions). */
export interface GgufEmbedderOptions extends ModelResolveOptions {
  /** The native backend. Defaults to `sharedLlama()`, the one instance every local model of the process shares. */
  llama?: Llama;
  /** Folder a relative model path is resolved against. Defaults to `process.cwd()`. */
  baseDir?: string;
  /** CPU threads of the embedding context; more than the machine's math cores slows llama.cpp down badly. Defaults to `llama.cpuMathCores`. */
  threads?: number;
  /** Context size in tokens; longer texts are cut to fit. Defaults to `min(2048, the model's training context)`. */
  contextSize?: number;
  /** Scale every vector to unit length, so distances compare directions. Defaults to `true`. */
  normalize?: boolean;
  /** Cancels resolving (downloading) and loading. Defaults to none. */
  signal?: AbortSignal;
  /** Called with 0…1 while the model loads. Defaults to none. */
  onProgress?: (progress: number) => void;
}

const FINGERPRINT_BYTES = 1 << 20;

/**
 * A content fingerprint of a model file for the cache key: sha256 of its size and its first and
 * last MiB. Hashing a multi-GB GGUF whole would cost seconds on every start; header plus tail
 * changes whenever weights, quantisation or metadata do.
 */
async function fingerprint(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const hash = createHash('sha256').update(String(size));
    const head = Buffer.alloc(Math.min(size, FINGERPRINT_BYTES));
    await file.read(head, 0, head.length, 0);
    hash.update(head);
    if (size > FINGERPRINT_BYTES) {
      const tail = Buffer.alloc(Math.min(size - FINGERPRINT_BYTES, FINGERPRINT_BYTES));
      await file.read(tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
    return hash.digest('hex').slice(0, 16);
  } finally {
    await file.close();
  }
}

/**
 * Embeds text with a GGUF model through node-llama-cpp's embedding context. One context serves
 * calls one text at a time; texts longer than the context are cut to its size, and an empty text
 * embeds as the zero vector.
 */
export class GgufEmbedder implements ManagedEmbedder {
  readonly id: string;
  readonly dimensions: number;
  /** The resolved GGUF file. */
  readonly modelPath: string;
  readonly #model: LlamaModel;
  readonly #context: LlamaEmbeddingContext;
  readonly #normalize: boolean;
  readonly #contextSize: number;
  readonly #guard: WorkGuard;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(id: string, modelPath: string, model: LlamaModel, context: LlamaEmbeddingContext, contextSize: number, normalize: boolean) {
    this.id = id;
    this.modelPath = modelPath;
    this.dimensions = model.embeddingVectorSize;
    this.#model = model;
    this.#context = context;
    this.#normalize = normalize;
    this.#contextSize = contextSize;
    this.#guard = new WorkGuard(`embedder "${id}"`);
  }

  /** Resolves and loads the model and creates its embedding context. */
  static async create(path: string, options: GgufEmbedderOptions = {}): Promise<GgufEmbedder> {
    const where = `embedder "gguf:${path}"`;
    const modelPath = await resolveModelPath(path, options, where);
    const id = `gguf:${basename(modelPath)}:${await fingerprint(modelPath)}`;
    const llama = options.llama ?? (await sharedLlama());
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath, loadSignal: options.signal, onLoadProgress: options.onProgress });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new ModelLoadError(`cannot load GGUF file ${modelPath}: ${(err as Error).message}`, where);
    }
    try {
      const contextSize = options.contextSize ?? Math.min(2048, model.trainContextSize);
      const context = await model.createEmbeddingContext({
        contextSize,
        threads: options.threads ?? llama.cpuMathCores,
        createSignal: options.signal,
      });
      return new GgufEmbedder(id, modelPath, model, context, contextSize, options.normalize ?? true);
    } catch (err) {
      await model.dispose();
      if (options.signal?.aborted) throw err;
      throw new ModelLoadError(`cannot create an embedding context for ${modelPath}: ${(err as Error).message}`, where);
    }
  }

  get disposed(): boolean {
    return this.#guard.disposed;
  }

  /** Registers a listener called once, after the model and context are freed. */
  onDispose(listener: () => void): void {
    this.#guard.onDispose(listener);
  }

  embed(texts: string[]): Promise<Float32Array[]> {
    return this.#guard.run(() => {
      // One context evaluates one text at a time; concurrent calls queue behind each other.
      const next = this.#queue.then(() => this.#embedAll(texts));
      this.#queue = next.catch(() => undefined);
      return next;
    });
  }

  async #embedAll(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    // node-llama-cpp adds BOS and EOS tokens and needs the input strictly shorter than the context.
    const limit = this.#contextSize - 3;
    for (const text of texts) {
      const tokens = this.#model.tokenize(text);
      if (tokens.length === 0) {
        out.push(new Float32Array(this.dimensions));
        continue;
      }
      const { vector } = await this.#context.getEmbeddingFor(tokens.length > limit ? tokens.slice(0, limit) : tokens);
      const v = Float32Array.from(vector);
      out.push(this.#normalize ? normalise(v) : v);
    }
    return out;
  }

  /** Waits for running calls, then frees the context and the model; safe to call twice. */
  dispose(): Promise<void> {
    return this.#guard.dispose(async () => {
      await this.#context.dispose();
      await this.#model.dispose();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
