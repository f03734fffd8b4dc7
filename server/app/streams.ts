import type { AppEvent, CompareRequest, LiveRequest, PassStats } from '../../core/app-api.js';
import { directDecision, TunedRouter, type CascadeRouter, type Verdict } from '../../core/cascade/router.js';
import type { Decision } from '../../core/cascade/plan.js';
import type { TunedConfig } from '../../core/config.js';
import type { GenerateRequest, GenerationResult, Tier, TokenEvent } from '../../core/tier.js';
import { createEmbedder, type ManagedEmbedder } from '../../native-models/embedders/index.js';
import { LocalTier } from '../../native-models/tiers/local-tier.js';
import type { TierPool } from '../../native-models/tiers/pool.js';
import { runCascade, type CascadeSink, type PassRole } from '../cascade/run.js';
import type { TierCallPolicy, TokenSink } from '../cascade/tier-call.js';
import { modelTierMap } from './model-tiers.js';

/** What one live or compare stream needs from the service. */
export interface StreamContext {
  streamId: string;
  /** The workspace's pool, lent by the service: its tiers stay loaded across prompts, and the stream never disposes them. */
  tiers: TierPool;
  /** The current tuned config, which routes a live prompt; null sends it to the pool's first (cheapest) tier. */
  config: TunedConfig | null;
  signal: AbortSignal;
  emit: (event: AppEvent) => void;
  /** Called once when the stream has ended, whatever the outcome. */
  done: () => void;
}

/**
 * The app's tiers retry by their own policy, so the runner adds none; a generous per-attempt
 * limit, since a local model on a CPU may take minutes for a long answer (the user has Stop).
 */
const LIVE_POLICY: TierCallPolicy = {
  timeoutMs: () => 600_000,
  retry: () => ({ maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }),
};

function statsOf(r: GenerationResult, tier?: Tier): PassStats {
  return {
    ...(tier instanceof LocalTier && { offload: tier.offload }),
    ttftMs: r.outputTokens > 0 ? r.ttftMs : null,
    tpotMs: r.outputTokens > 1 ? r.tpotMs : null,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    latencyMs: r.latencyMs,
    costUsd: r.costUsd,
    stopReason: r.stopReason,
  };
}

function requestOf(r: LiveRequest | CompareRequest): GenerateRequest {
  return { messages: [{ role: 'user', content: r.prompt }], maxTokens: r.maxTokens ?? 256, temperature: r.temperature ?? 0 };
}

/** One pass of the Live view: numbered when its first token (or its answer) arrives, so a tier that fails before answering leaves no pass behind. */
interface LivePass {
  pass: number;
  tier: string;
}

/**
 * The Live view's sink: each call's tokens become `live.token` events of its pass, and each pass
 * ends with the router's verdict on it. A token shown to the user commits the pass (no failover
 * after it), as a streamed answer in serve does.
 */
class LiveEvents implements CascadeSink {
  #passes = 0;
  /** Per step and role, the pass under way. */
  readonly #open = new Map<string, LivePass>();
  /** Answered passes waiting for the verdict that ends them. */
  readonly #awaiting = new Map<number, { pass: LivePass; result: GenerationResult }>();

  constructor(private readonly ctx: StreamContext, private readonly cluster: number | null, private readonly tiers: ReadonlyMap<string, Tier>) {}

  #start(step: number, role: PassRole, tier: string): LivePass {
    const key = `${step}:${role}`;
    let pass = this.#open.get(key);
    if (!pass) {
      pass = { pass: this.#passes++, tier };
      this.#open.set(key, pass);
      this.ctx.emit({ type: 'live.passStart', streamId: this.ctx.streamId, pass: pass.pass, tier, cluster: role === 'stage1' ? this.cluster : null, role });
    }
    return pass;
  }

  tokens(step: number, role: PassRole): TokenSink {
    let tier = '';
    const sink = {
      committed: false,
      begin: (t: string) => {
        tier = t;
      },
      token: (e: TokenEvent) => {
        if (e.text === '') return;
        sink.committed = true;
        const { pass } = this.#start(step, role, tier);
        this.ctx.emit({ type: 'live.token', streamId: this.ctx.streamId, pass, tier, text: e.text, atMs: e.atMs });
      },
    };
    return sink;
  }

  answered(step: number, role: PassRole, result: GenerationResult): void {
    const pass = this.#start(step, role, result.tier);
    // A partner's answer is only compared: its pass ends with no verdict of its own.
    if (role === 'partner') this.#end(pass, result, null, null);
    else this.#awaiting.set(step, { pass, result });
  }

  judged(step: number, verdict: Verdict): void {
    const waiting = this.#awaiting.get(step);
    if (!waiting) return;
    this.#awaiting.delete(step);
    this.#end(waiting.pass, waiting.result, verdict, verdict.decision.reason);
  }

  /** Ends the passes no verdict reached: the kept answer of an ungated plan, the last rung, or a failover. */
  settle(): void {
    for (const { pass, result } of this.#awaiting.values()) this.#end(pass, result, null, 'final');
    this.#awaiting.clear();
  }

  /** `verdict`: the router's on this pass; null where none was given (a partner, or an answer that was final). */
  #end(pass: LivePass, result: GenerationResult, verdict: Verdict | null, reason: Decision['reason'] | null): void {
    const { streamId } = this.ctx;
    const judged = { qeScore: verdict?.qe ?? null, threshold: verdict?.threshold ?? null, escalate: verdict?.escalate ?? false };
    this.ctx.emit({ type: 'live.passEnd', streamId, pass: pass.pass, tier: pass.tier, stats: statsOf(result, this.tiers.get(pass.tier)), ...judged, reason });
  }
}

/**
 * Runs a prompt through the tuned cascade for real, with the same router and runner as `serve`
 * (core/cascade/router.ts, server/cascade/run.ts): route, stream stage 1, judge, escalate,
 * fail over. Each run-log model the plans name must have a pool tier that stands for it (by
 * `standsFor` or by name). Without a tuned config, the pool's first (cheapest) tier answers alone.
 */
export async function runLive(ctx: StreamContext, request: LiveRequest): Promise<void> {
  const { streamId } = ctx;
  const pool = ctx.tiers.loaded.pool;
  let embedder: ManagedEmbedder | undefined;
  try {
    let router: CascadeRouter | null = null;
    if (ctx.config) {
      // A config tuned with a GGUF or OpenAI-compatible embedder routes with that embedder.
      if (ctx.config.embedder.spec.kind !== 'builtin') embedder = await createEmbedder(ctx.config.embedder.spec);
      router = TunedRouter.create('cascade', ctx.config, pool.tiers.map((t) => t.name), modelTierMap(ctx.config, pool), 'pool', embedder);
    }
    const text = { last: request.prompt, context: '' };
    const decision = router ? await router.route(text) : directDecision(pool.tiers[0].name);
    // The plan's tiers, loaded (or found loaded) before the first call: the readiness check vouched for them.
    const tiers = await ctx.tiers.acquire([...decision.ladder.slice(0, decision.rungs), ...(decision.partner === null ? [] : [decision.partner])], ctx.signal);
    // Failover tiers are best effort: one that cannot load (a missing file, an unset key) leaves this
    // prompt's ladder instead of failing a plan that does not need it.
    const failover = await Promise.allSettled(decision.ladder.slice(decision.rungs).map((name) => ctx.tiers.acquire([name], ctx.signal)));
    for (const r of failover) if (r.status === 'fulfilled') for (const [name, tier] of r.value) tiers.set(name, tier);
    const usable = decision.ladder.map((name, i) => i < decision.rungs || tiers.has(name));
    decision.models = decision.models.filter((_, i) => usable[i]);
    decision.ladder = decision.ladder.filter((_, i) => usable[i]);
    const sink = new LiveEvents(ctx, router ? decision.cluster : null, tiers);
    const generate: GenerateRequest = { ...requestOf(request), ...(decision.gate && router?.wantsLogprobs && { logprobs: true }) };
    const outcome = await runCascade({ tiers, router, decision, text, request: generate, policy: LIVE_POLICY, signal: ctx.signal, sink, calls: [] });
    sink.settle();
    ctx.emit({ type: 'live.done', streamId, finalTier: outcome.trace.final, text: outcome.result.text, aborted: false });
  } catch (err) {
    if (ctx.signal.aborted) ctx.emit({ type: 'live.done', streamId, finalTier: null, text: '', aborted: true });
    else ctx.emit({ type: 'stream.error', streamId, tier: null, message: (err as Error).message });
  } finally {
    try {
      await embedder?.dispose();
    } finally {
      ctx.done();
    }
  }
}

/** Sends one prompt to several tiers at once; each streams its own tokens and figures. */
export async function runCompare(ctx: StreamContext, request: CompareRequest): Promise<void> {
  const { streamId } = ctx;
  await Promise.all(request.tiers.map(async (name) => {
    try {
      const tier = (await ctx.tiers.acquire([name], ctx.signal)).get(name)!;
      const result = await tier.generate(requestOf(request), {
        signal: ctx.signal,
        onToken: (e) => ctx.emit({ type: 'compare.token', streamId, tier: name, text: e.text, atMs: e.atMs }),
      });
      ctx.emit({ type: 'compare.tierEnd', streamId, tier: name, stats: statsOf(result, tier) });
    } catch (err) {
      if (!ctx.signal.aborted) ctx.emit({ type: 'stream.error', streamId, tier: name, message: (err as Error).message });
    }
  }));
  ctx.emit({ type: 'compare.done', streamId, aborted: ctx.signal.aborted });
  ctx.done();
}
