import type { AppEvent, CompareRequest, LiveRequest, PassStats, PoolFile } from '../../core/app-api.js';
import { routeEmbedding, type TunedConfig } from '../../core/config.js';
import { BuiltinEmbedder } from '../../core/embed/tfidf.js';
import { InvalidInputError } from '../../core/errors.js';
import type { GenerateRequest, GenerationResult, Tier } from '../../core/tier.js';
import { createTier } from '../../native-models/tiers/pool.js';

/** What one live or compare stream needs from the service. */
export interface StreamContext {
  streamId: string;
  pool: PoolFile;
  baseDir: string;
  env: Record<string, string | undefined>;
  /** The current tuned config, which routes a live prompt; null sends it to the pool's first (cheapest) tier. */
  config: TunedConfig | null;
  signal: AbortSignal;
  emit: (event: AppEvent) => void;
  /** Called once when the stream has ended, whatever the outcome. */
  done: () => void;
}

function statsOf(r: GenerationResult): PassStats {
  return {
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

async function openTier(ctx: StreamContext, name: string): Promise<Tier> {
  const spec = ctx.pool.tiers.find((t) => t.name === name);
  if (!spec) throw new InvalidInputError(`no tier "${name}" in the pool (it has: ${ctx.pool.tiers.map((t) => t.name).join(', ')})`, 'pool');
  return createTier(spec, { baseDir: ctx.baseDir, env: ctx.env, signal: ctx.signal });
}

/** The tier and cluster a live prompt starts on: the tuned config's route, or the pool's first tier. */
async function firstPass(ctx: StreamContext, prompt: string): Promise<{ tier: string; cluster: number | null }> {
  if (!ctx.config?.embedder.state) return { tier: ctx.pool.tiers[0].name, cluster: null };
  const [embedding] = await BuiltinEmbedder.fromState(ctx.config.embedder.state).embed([prompt]);
  const { cluster, model } = routeEmbedding(ctx.config, embedding);
  return { tier: model, cluster };
}

/**
 * Runs a prompt through the cascade's first pass with streamed tokens: the tuned route picks
 * the tier (its name must be a pool tier), and each pass reports its TTFT and TPOT.
 */
export async function runLive(ctx: StreamContext, request: LiveRequest): Promise<void> {
  const { streamId } = ctx;
  let tier: Tier | undefined;
  try {
    const pass = await firstPass(ctx, request.prompt);
    ctx.emit({ type: 'live.passStart', streamId, pass: 0, tier: pass.tier, cluster: pass.cluster });
    tier = await openTier(ctx, pass.tier);
    const result = await tier.generate(requestOf(request), {
      signal: ctx.signal,
      onToken: (e) => ctx.emit({ type: 'live.token', streamId, pass: 0, tier: pass.tier, text: e.text, atMs: e.atMs }),
    });
    ctx.emit({ type: 'live.passEnd', streamId, pass: 0, tier: pass.tier, stats: statsOf(result), qeScore: null, threshold: null, escalate: false });
    ctx.emit({ type: 'live.done', streamId, finalTier: pass.tier, text: result.text, aborted: ctx.signal.aborted });
  } catch (err) {
    if (ctx.signal.aborted) ctx.emit({ type: 'live.done', streamId, finalTier: null, text: '', aborted: true });
    else ctx.emit({ type: 'stream.error', streamId, tier: null, message: (err as Error).message });
  } finally {
    await tier?.dispose();
    ctx.done();
  }
}

/** Sends one prompt to several tiers at once; each streams its own tokens and figures. */
export async function runCompare(ctx: StreamContext, request: CompareRequest): Promise<void> {
  const { streamId } = ctx;
  await Promise.all(request.tiers.map(async (name) => {
    let tier: Tier | undefined;
    try {
      tier = await openTier(ctx, name);
      const result = await tier.generate(requestOf(request), {
        signal: ctx.signal,
        onToken: (e) => ctx.emit({ type: 'compare.token', streamId, tier: name, text: e.text, atMs: e.atMs }),
      });
      ctx.emit({ type: 'compare.tierEnd', streamId, tier: name, stats: statsOf(result) });
    } catch (err) {
      if (!ctx.signal.aborted) ctx.emit({ type: 'stream.error', streamId, tier: name, message: (err as Error).message });
    } finally {
      await tier?.dispose();
    }
  }));
  ctx.emit({ type: 'compare.done', streamId, aborted: ctx.signal.aborted });
  ctx.done();
}
