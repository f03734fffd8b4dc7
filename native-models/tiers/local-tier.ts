import {
  InsufficientMemoryError,
  resolveChatWrapper,
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import { resolve } from 'node:path';
import { InvalidInputError } from '../../core/errors.js';
import { backendSummary, formatBytes, type TierFit, type TierOffload } from '../../core/hardware.js';
import { callCostUsd, type LocalTierSpec } from '../../core/pool.js';
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
import { fitTarget, resolveTierFit, type FitTarget } from './backend-report.js';
import { Semaphore, WorkGuard } from './concurrency.js';
import { ContextLengthExceededError, GpuMemoryError, ModelLoadError } from './errors.js';
import { sharedLlama } from './llama-instance.js';
import { resolveModelPath, type ModelResolveOptions } from './resolve-model.js';

/** What a tier is doing while it loads, for progress bars. `progress` runs from 0 to 1 within a phase. */
export interface TierLoadProgress {
  tier: string;
  phase: 'resolve' | 'load' | 'context';
  progress: number;
}

export interface LocalTierOptions extends ModelResolveOptions {
  /** The native backend. Defaults to `sharedLlama()`, one instance for every tier of the process. */
  llama?: Llama;
  /** Directory a relative model path is resolved against (the pool file's folder). Defaults to `process.cwd()`. */
  baseDir?: string;
  /**
   * What a call whose prompt plus its own `maxTokens` exceeds the context gets: `'error'`, a
   * ContextLengthExceededError naming the tier, the prompt's tokens, `maxTokens` and the context
   * size (as OpenAI and vLLM refuse such a request); `'clip'`, as many tokens as still fit (the
   * result's `stopReason` is then `'length'`). Either way the tier's own default `maxTokens` (its
   * `sampling.maxTokens`) is a cap clipped to what fits, and a prompt that leaves no room for
   * one output token is always the error. Defaults to `'error'`.
   */
  contextOverflow?: 'error' | 'clip';
  /** Cancels loading. Defaults to none. */
  signal?: AbortSignal;
  /** Defaults to none. */
  onProgress?: (progress: TierLoadProgress) => void;
  /** The backend and free GPU memory the tier's fit is resolved against. Defaults to a fresh reading of the Llama instance. */
  fitTarget?: FitTarget;
}

// One load at a time per Llama instance: what a tier took is read as the instance's memory use
// before and after its load, which a second load running meanwhile would blur.
const loading = new WeakMap<Llama, Semaphore>();

/**
 * A GGUF model served in-process through node-llama-cpp. It holds one model and one context
 * with `concurrency` sequences; each call borrows a sequence and gives it back cleared.
 */
export class LocalTier implements Tier {
  readonly kind = 'local' as const;
  readonly name: string;
  readonly spec: LocalTierSpec;
  /** The resolved GGUF file. */
  readonly modelPath: string;
  readonly #model: LlamaModel;
  readonly #context: LlamaContext;
  readonly #free: LlamaContextSequence[];
  readonly #slots: Semaphore;
  readonly #guard: WorkGuard;
  readonly #contextOverflow: 'error' | 'clip';
  /** How the model's layers fit free GPU memory before it loaded (from its GGUF metadata). */
  readonly fit: TierFit;
  /** The layers actually offloaded and the memory the model and context took. */
  readonly offload: TierOffload;

  private constructor(spec: LocalTierSpec, modelPath: string, model: LlamaModel, context: LlamaContext, sequences: LlamaContextSequence[], contextOverflow: 'error' | 'clip', fit: TierFit, offload: TierOffload) {
    this.name = spec.name;
    this.fit = fit;
    this.offload = offload;
    this.#contextOverflow = contextOverflow;
    this.spec = spec;
    this.modelPath = modelPath;
    this.#model = model;
    this.#context = context;
    this.#free = sequences;
    this.#slots = new Semaphore(sequences.length);
    this.#guard = new WorkGuard(`tier "${spec.name}"`);
  }

  /**
   * Resolves the model (a path, or a URI through node-llama-cpp's resolveModelFile, from
   * `options.modelsDir`), loads it and creates its context. A missing file or an unresolvable URI
   * is a ModelFileNotFoundError, an unloadable file a ModelLoadError, both naming the tier and the
   * file or URI.
   */
  static async create(spec: LocalTierSpec, options: LocalTierOptions = {}): Promise<LocalTier> {
    const where = `tier "${spec.name}"`;
    const report = (phase: TierLoadProgress['phase'], progress: number) => options.onProgress?.({ tier: spec.name, phase, progress });
    report('resolve', 0);
    const modelPath = await localModelPath(spec, options);
    report('resolve', 1);
    const llama = options.llama ?? (await sharedLlama());
    const target = options.fitTarget ?? (await fitTarget(llama));
    // Only "max" is judged before loading; otherwise the fit is read from the loaded model's own
    // metadata, against the memory free before it loaded (reading a GGUF header costs ~100 ms).
    const maxFit = spec.gpuLayers === 'max' ? await resolveTierFit(spec, modelPath, target) : undefined;
    if (maxFit && maxFit.fitLayers < maxFit.totalLayers) throw maxDoesNotFit(spec, modelPath, maxFit, target);
    let lock = loading.get(llama);
    if (!lock) loading.set(llama, (lock = new Semaphore(1)));
    const release = await lock.acquire(options.signal);
    try {
      const before = await llama.getLlamaMemoryUsage();
      let model: LlamaModel;
      try {
        model = await llama.loadModel({
          modelPath,
          gpuLayers: spec.gpuLayers,
          loadSignal: options.signal,
          onLoadProgress: (p) => report('load', p),
        });
      } catch (err) {
        if (options.signal?.aborted) throw err;
        if (err instanceof InsufficientMemoryError) throw new GpuMemoryError(`not enough memory to load ${modelPath} with gpuLayers ${JSON.stringify(spec.gpuLayers)} (${err.message}); ${formatBytes(target.report.vram.free)} of GPU memory was free`, where);
        throw new ModelLoadError(`cannot load GGUF file ${modelPath}: ${(err as Error).message}`, where);
      }
      try {
        report('context', 0);
        // llama.maxThreads oversubscribes small machines by ~1000x slower decoding; cpuMathCores does not.
        const threads = spec.threads ?? llama.cpuMathCores;
        const context = await model.createContext({
          contextSize: Math.min(spec.contextSize, model.trainContextSize),
          sequences: spec.concurrency,
          threads,
          ...(spec.batchSize !== undefined && { batchSize: spec.batchSize }),
          createSignal: options.signal,
        });
        const sequences = Array.from({ length: spec.concurrency }, () => context.getSequence());
        const after = await llama.getLlamaMemoryUsage();
        const fit = maxFit ?? (await resolveTierFit(spec, model.fileInsights, target));
        const offload: TierOffload = {
          backend: target.report.backend,
          gpuLayers: model.gpuLayers,
          totalLayers: model.fileInsights.totalLayers,
          vramBytes: Math.max(0, after.gpuVram - before.gpuVram),
          ramBytes: Math.max(0, after.cpuRam - before.cpuRam),
          threads,
        };
        report('context', 1);
        return new LocalTier(spec, modelPath, model, context, sequences, options.contextOverflow ?? spec.contextOverflow, fit, offload);
      } catch (err) {
        await model.dispose();
        if (options.signal?.aborted) throw err;
        if (err instanceof InsufficientMemoryError) throw new GpuMemoryError(`not enough memory for a ${spec.contextSize}-token context of ${modelPath} (${err.message}): lower contextSize or gpuLayers`, where);
        throw new ModelLoadError(`cannot create a context for ${modelPath}: ${(err as Error).message}`, where);
      }
    } finally {
      release();
    }
  }

  get disposed(): boolean {
    return this.#guard.disposed;
  }

  /** Context size in tokens of each sequence. */
  get contextSize(): number {
    return this.#context.contextSize;
  }

  /** Token count of a text under this model's tokenizer. */
  countTokens(text: string): number {
    this.#guard.check();
    return this.#model.tokenize(text).length;
  }

  generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerationResult> {
    return this.#guard.run(() => this.#generate(request, options));
  }

  async #generate(request: GenerateRequest, options: GenerateOptions): Promise<GenerationResult> {
    const started = performance.now();
    const { signal, onToken } = options;
    const sampling = this.spec.sampling;
    const stops = request.stop ?? sampling.stop;
    const wantLogprobs = request.logprobs ?? false;
    const promptTokens = this.#promptTokens(request);
    // Room for output in this sequence's context; see LocalTierOptions.contextOverflow.
    const room = this.contextSize - promptTokens.length;
    const asked = request.maxTokens;
    if (room < 1) throw new ContextLengthExceededError(this.name, promptTokens.length, null, this.contextSize);
    if (asked !== undefined && asked > room && this.#contextOverflow === 'error') {
      throw new ContextLengthExceededError(this.name, promptTokens.length, asked, this.contextSize);
    }
    const maxTokens = Math.min(asked ?? sampling.maxTokens, room);

    let release: () => void;
    try {
      release = await this.#slots.acquire(signal);
    } catch {
      return this.#result('', 'abort', promptTokens.length, 0, started, 0, 0, undefined);
    }
    const sequence = this.#free.pop()!;
    const logprobs = wantLogprobs ? new LogprobAccumulator() : undefined;
    const generated: Token[] = [];
    let pending: Token[] = [];
    let text = '';
    let stopReason = 'length' as StopReason;
    let firstAt = 0;
    let lastAt = 0;
    try {
      const temperature = request.temperature ?? sampling.temperature;
      const topP = request.topP ?? sampling.topP;
      const seed = request.seed ?? sampling.seed;
      const evaluateOptions = { temperature, ...(topP !== undefined && { topP }), ...(seed !== undefined && { seed }) };
      // One generated token; true when generation should stop here.
      const take = (token: Token, meta?: { confidence: number; probabilities: Map<Token, number> }): boolean => {
        if (signal?.aborted) {
          stopReason = 'abort';
          return true;
        }
        if (this.#model.isEogToken(token)) {
          stopReason = 'stop';
          return true;
        }
        const now = performance.now() - started;
        if (generated.length === 0) firstAt = now;
        lastAt = now;
        let logprob: number | undefined;
        if (meta && logprobs) {
          logprob = Math.log(meta.confidence);
          logprobs.add(logprob, entropyOf(meta.probabilities.values()));
        }
        // A multi-byte character can span tokens: hold tokens back until they decode cleanly.
        pending.push(token);
        const piece = this.#model.detokenize(pending, false, generated.slice(-4));
        generated.push(token);
        if (!piece.endsWith('\uFFFD') || pending.length >= 4) {
          pending = [];
          text += piece;
          onToken?.({ text: piece, atMs: now, ...(logprob !== undefined && { logprob }) });
          const cut = firstStop(text, stops);
          if (cut >= 0) {
            text = text.slice(0, cut);
            stopReason = 'stop';
            return true;
          }
        }
        return generated.length >= maxTokens;
      };
      // evaluateWithMetadata only when probabilities are wanted: it costs a few % per token even without them.
      if (wantLogprobs) {
        for await (const out of sequence.evaluateWithMetadata(promptTokens, { confidence: true, probabilities: true }, evaluateOptions)) if (take(out.token, out)) break;
      } else {
        for await (const token of sequence.evaluate(promptTokens, evaluateOptions)) if (take(token)) break;
      }
      if (signal?.aborted && stopReason !== 'stop') stopReason = 'abort';
    } finally {
      await sequence.clearHistory();
      this.#free.push(sequence);
      release();
    }
    return this.#result(text, stopReason, promptTokens.length, generated.length, started, firstAt, lastAt, logprobs);
  }

  #promptTokens(request: GenerateRequest): Token[] {
    const where = `tier "${this.name}"`;
    if (request.prompt !== undefined && request.messages !== undefined) throw new InvalidInputError('give either prompt or messages, not both', where);
    if (request.prompt !== undefined) {
      const tokens = this.#model.tokenize(request.prompt);
      const bos = this.#model.tokens.bos;
      return this.#model.tokens.shouldPrependBosToken && bos !== null ? [bos, ...tokens] : tokens;
    }
    if (!request.messages?.length) throw new InvalidInputError('a request needs a prompt or at least one message', where);
    // The model's own chat template (node-llama-cpp's resolver falls back to a generic one).
    const wrapper = resolveChatWrapper(this.#model);
    const history: ChatHistoryItem[] = request.messages.map((m) =>
      m.role === 'assistant' ? { type: 'model', response: [m.content] } : m.role === 'system' ? { type: 'system', text: m.content } : { type: 'user', text: m.content },
    );
    history.push({ type: 'model', response: [] });
    return wrapper.generateContextState({ chatHistory: history }).contextText.tokenize(this.#model.tokenizer);
  }

  #result(text: string, stopReason: StopReason, inputTokens: number, outputTokens: number, started: number, firstAt: number, lastAt: number, logprobs: LogprobAccumulator | undefined): GenerationResult {
    const latencyMs = performance.now() - started;
    const summary = logprobs?.summary();
    return {
      tier: this.name,
      text,
      stopReason,
      inputTokens,
      outputTokens,
      ttftMs: outputTokens > 0 ? firstAt : latencyMs,
      tpotMs: tpotOf(firstAt, lastAt, outputTokens),
      latencyMs,
      costUsd: callCostUsd(this.spec, inputTokens, outputTokens),
      ...(summary && { logprobs: summary }),
    };
  }

  /** Registers a listener called once the tier has released its model. */
  onDispose(listener: () => void): void {
    this.#guard.onDispose(listener);
  }

  /** Waits for running calls, then frees the context and the model (the shared Llama stays). Safe to call twice. */
  dispose(): Promise<void> {
    return this.#guard.dispose(async () => {
      await this.#context.dispose();
      await this.#model.dispose();
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/** The GGUF file a local tier loads: its `model` resolved as LocalTier.create resolves it. */
function localModelPath(spec: LocalTierSpec, options: ModelResolveOptions): Promise<string> {
  const modelsDir = options.modelsDir ?? (spec.modelsDir === undefined ? undefined : resolve(options.baseDir ?? process.cwd(), spec.modelsDir));
  return resolveModelPath(spec.model, { ...options, download: options.download ?? spec.download, ...(modelsDir !== undefined && { modelsDir }) }, `tier "${spec.name}"`);
}

/**
 * How a local tier would fit before it loads, without loading it: the model is resolved as
 * LocalTier.create resolves it, except that a model URI is never downloaded for this.
 */
export async function fitOfTier(spec: LocalTierSpec, options: Pick<ModelResolveOptions, 'baseDir' | 'modelsDir'> & { fitTarget?: FitTarget } = {}): Promise<TierFit> {
  const modelPath = await localModelPath(spec, { ...options, download: false });
  return resolveTierFit(spec, modelPath, options.fitTarget ?? (await fitTarget()));
}

/** The refusal of a `gpuLayers: "max"` whose layers and context do not all fit free GPU memory. */
function maxDoesNotFit(spec: LocalTierSpec, modelPath: string, fit: TierFit, target: FitTarget): GpuMemoryError {
  const fix = fit.fitLayers > 0 ? `set gpuLayers to "auto" or at most ${fit.fitLayers}, or lower contextSize` : 'set gpuLayers to "auto" or 0 to run on the CPU, or lower contextSize';
  return new GpuMemoryError(
    `gpuLayers "max" does not fit: model ${modelPath} needs ${formatBytes(fit.fullOffloadBytes)} of GPU memory for all ${fit.totalLayers} layers and a ${fit.contextSize}-token context, ` +
      `${formatBytes(fit.freeVramBytes)} is free (backend ${backendSummary(target.report)}); ${fix}`,
    `tier "${spec.name}"`,
  );
}

/** Index where the first stop sequence begins in `text`, or -1. */
function firstStop(text: string, stops: readonly string[]): number {
  let cut = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (cut < 0 || i < cut)) cut = i;
  }
  return cut;
}
