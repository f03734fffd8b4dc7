import type { AppEvent, CompareRequest, LiveRequest, PassStats, PoolFile } from '../../core/app-api.js';
import type { Decision } from '../../core/cascade/plan.js';
import type { TunedConfig } from '../../core/config.js';
import { InvalidInputError } from '../../core/errors.js';
import type { GenerateRequest, GenerationResult, Tier } from '../../core/tier.js';
import { policyFromTunedConfig, runLiveCascade, type CascadePolicy, type PassTrace } from '../../native-models/live-cascade.js';
import { createEmbedder, type ManagedEmbedder } from '../../native-models/embedders/index.js';
import { LocalTier } from '../../native-models/tiers/local-tier.js';
import { createTier } from '../../native-models/tiers/pool.js';
import { modelTierMap } from './model-tiers.js';

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

async function openTier(ctx: StreamContext, name: string): Promise<Tier> {
  const spec = ctx.pool.tiers.find((t) => t.name === name);
  if (!spec) throw new InvalidInputError(`no tier "${name}" in the pool (it has: ${ctx.pool.tiers.map((t) => t.name).join(', ')})`, 'pool');
  return createTier(spec, { baseDir: ctx.baseDir, env: ctx.env, signal: ctx.signal });
}

/**
 * Runs a prompt through the tuned cascade for real (native-models/live-cascade): route, stream
 * stage 1, QE, escalate as the core decides. Each run-log model the plan names must have a pool
 * tier that stands for it (by `standsFor` or by name). Without a tuned config, the pool's first (cheapest) tier answers alone.
 */
export async function runLive(ctx: StreamContext, request: LiveRequest): Promise<void> {
  const { streamId } = ctx;
  const tiers = new Map<string, Tier>();
  const opening = new Map<string, Promise<Tier>>();
  const passOf = new Map<string, number>();
  let embedder: ManagedEmbedder | undefined;
  try {
    // Tiers are created before the cascade asks for them synchronously: every tier a plan may name is opened up front.
    const tierOf = ctx.config ? modelTierMap(ctx.config, ctx.pool) : { [ctx.pool.tiers[0].name]: ctx.pool.tiers[0].name };
    const names = Object.keys(tierOf);
    for (const name of names) opening.set(name, openTier(ctx, tierOf[name]));
    // Awaited together, so each opening has a handler at once: a Stop while models load fails
    // several of them, and one awaited after another would meanwhile be an unhandled rejection.
    const opened = await Promise.all(opening.values());
    names.forEach((name, i) => tiers.set(name, opened[i]));
    const tierFor = (model: string) => {
      const tier = tiers.get(model);
      if (!tier) throw new InvalidInputError(`the cascade routes to "${model}", but no pool tier stands for it: add a tier of that name, or list it in a tier's standsFor (the pool has: ${ctx.pool.tiers.map((t) => t.name).join(', ')})`, 'pool');
      return tier;
    };
    // A config tuned with a GGUF or OpenAI-compatible embedder routes with that embedder, loaded like the tiers.
    if (ctx.config && ctx.config.embedder.spec.kind !== 'builtin') embedder = await createEmbedder(ctx.config.embedder.spec);
    const policy: CascadePolicy = ctx.config
      ? policyFromTunedConfig(ctx.config, embedder)
      : { embed: () => [], route: () => ({ cluster: 0, plan: { action: 'answer', model: names[0] } }), answerKind: () => 'text', caps: { maxEscalations: 0, maxTotalTokens: null } };
    const pending: PassTrace[] = [];
    const endPass = (p: PassTrace, qeScore: number | null, escalate: boolean, reason: Decision['reason'] | null) => {
      const key = `${p.step}:${p.tier}`;
      const pass = passOf.get(key) ?? passOf.size;
      passOf.set(key, pass);
      ctx.emit({ type: 'live.passEnd', streamId, pass, tier: p.tier, stats: statsOf(p.result, tiers.get(p.model)), qeScore, threshold: null, escalate, reason });
    };
    const trace = await runLiveCascade(request.prompt, policy, {
      tierFor,
      request: { maxTokens: request.maxTokens ?? 256, temperature: request.temperature ?? 0 },
      signal: ctx.signal,
      onEvent: (e) => {
        if (e.type === 'routed') {
          e.tiers.forEach((tier, i) => {
            const pass = passOf.size;
            passOf.set(`0:${tier}`, pass);
            ctx.emit({ type: 'live.passStart', streamId, pass, tier, cluster: ctx.config ? e.cluster : null, role: i === 0 ? 'stage1' : 'partner' });
          });
        } else if (e.type === 'token') {
          let pass = passOf.get(`${e.step}:${e.tier}`);
          if (pass === undefined) {
            pass = passOf.size;
            passOf.set(`${e.step}:${e.tier}`, pass);
            ctx.emit({ type: 'live.passStart', streamId, pass, tier: e.tier, cluster: null, role: 'escalation' });
          }
          ctx.emit({ type: 'live.token', streamId, pass, tier: e.tier, text: e.text, atMs: e.atMs });
        } else if (e.type === 'pass') {
          // A pass's end is reported with the decision that follows it (escalate or not); a partner's has none.
          if (e.pass.role === 'partner') endPass(e.pass, e.pass.qe, false, null);
          else pending.push(e.pass);
        } else if (e.type === 'decision') {
          for (const p of pending.splice(0)) endPass(p, e.qe ?? p.qe, e.decision.kind === 'escalate', e.decision.reason);
        }
      },
    });
    for (const p of pending.splice(0)) endPass(p, p.qe, false, null);
    ctx.emit({ type: 'live.done', streamId, finalTier: trace.finalTier, text: trace.text, aborted: ctx.signal.aborted });
  } catch (err) {
    if (ctx.signal.aborted) ctx.emit({ type: 'live.done', streamId, finalTier: null, text: '', aborted: true });
    else ctx.emit({ type: 'stream.error', streamId, tier: null, message: (err as Error).message });
  } finally {
    for (const p of opening.values()) await p.then((t) => t.dispose(), () => undefined);
    await embedder?.dispose();
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
      ctx.emit({ type: 'compare.tierEnd', streamId, tier: name, stats: statsOf(result, tier) });
    } catch (err) {
      if (!ctx.signal.aborted) ctx.emit({ type: 'stream.error', streamId, tier: name, message: (err as Error).message });
    } finally {
      await tier?.dispose();
    }
  }));
  ctx.emit({ type: 'compare.done', streamId, aborted: ctx.signal.aborted });
  ctx.done();
}
