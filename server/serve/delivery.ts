import type { CascadeDecision } from '../../core/cascade/router.js';
import type { GenerationResult, TokenEvent } from '../../core/tier.js';
import type { CascadeOutcome, CascadeSink, CascadeTrace, PassRole } from '../cascade/run.js';
import type { Fallback, TokenSink } from '../cascade/tier-call.js';
import type { SseWriter } from './openai-format.js';

/** Whether the client saw tokens as they were generated (`live`), after the cascade settled (`buffered`), or as one body (`json`). */
export type Delivery = 'live' | 'buffered' | 'json';

/** The x-cascade-* headers every answer carries. */
export function cascadeHeaders(trace: CascadeTrace): Record<string, string> {
  const headers: Record<string, string> = {
    'x-cascade-cluster': trace.cluster === null ? 'none' : String(trace.cluster),
    'x-cascade-stage1': trace.stage1,
    'x-cascade-final': trace.final,
    'x-cascade-escalated': String(trace.escalated),
    'x-cascade-qe': trace.qe === null ? 'none' : trace.qe.toFixed(4),
  };
  if (trace.fallbacks.length > 0) headers['x-cascade-fallback'] = fallbackHeader(trace.fallbacks);
  return headers;
}

/** `x-cascade-fallback`: each failed tier, where the request went next (`none`: nowhere) and why. */
export function fallbackHeader(fallbacks: readonly Fallback[]): string {
  return fallbacks.map((f) => `${f.from}>${f.to ?? 'none'}:${f.reason}`).join(', ');
}

/** The trace as the `cascade` extension field of a body or last chunk, with each paid call's tokens and cost (`usage` is their sum). */
export function traceBody(trace: CascadeTrace, calls: readonly GenerationResult[], delivery: Delivery): object {
  const passes = calls.map((r) => ({ tier: r.tier, inputTokens: r.inputTokens, outputTokens: r.outputTokens, costUsd: r.costUsd }));
  const costUsd = calls.reduce((n, r) => n + r.costUsd, 0);
  return { cluster: trace.cluster, stage1: trace.stage1, final: trace.final, escalated: trace.escalated, qe: trace.qe, agree: trace.agree, fallbacks: trace.fallbacks, delivery, passes, costUsd };
}

/** Holds a call's tokens back until the cascade settles. */
class BufferedTokens implements TokenSink {
  pieces: string[] = [];
  readonly committed = false;
  begin(): void {
    this.pieces = [];
  }
  token(event: TokenEvent): void {
    this.pieces.push(event.text);
  }
  /** The pieces to release; the whole text at once where a tier streamed nothing or something else. */
  release(result: GenerationResult): string[] {
    return this.pieces.join('') === result.text ? this.pieces : [result.text];
  }
}

/** Sends a call's tokens to the client as they come; the headers go out with the first one. */
class LiveTokens implements TokenSink {
  committed = false;
  private tier = '';
  constructor(private readonly writer: SseWriter, private readonly headersFor: (tier: string) => Record<string, string>) {}
  begin(tier: string): void {
    this.tier = tier;
  }
  token(event: TokenEvent): void {
    if (event.text === '') return;
    if (!this.committed) this.writer.open(this.headersFor(this.tier));
    this.committed = true;
    this.writer.piece(event.text);
  }
}

/**
 * Serve's sink for a streamed answer. A streamed answer only ever carries one tier's text: an
 * answer that may still be judged is held back; only the last rung (or ungated stage 1 with
 * `liveUngated`) streams as it is generated.
 */
export class SseDelivery implements CascadeSink {
  constructor(private readonly stream: SseWriter, private readonly decision: CascadeDecision, private readonly liveUngated: boolean) {}

  tokens(step: number, role: PassRole, trace: Readonly<CascadeTrace>): TokenSink {
    const lastRung = this.decision.rungs - 1;
    const live = role !== 'partner' && (step > 0 ? step === lastRung : !this.decision.gate && this.liveUngated);
    if (!live) return new BufferedTokens();
    // Headers go out with the first token, before the call returns: say now what the trace will say then.
    return new LiveTokens(this.stream, (tier) => cascadeHeaders({ ...trace, final: tier, escalated: step > 0, ...(step === 0 && { stage1: tier }) }));
  }

  /** How the served answer reached the client. */
  delivery(outcome: CascadeOutcome): Delivery {
    return outcome.tokens instanceof LiveTokens ? 'live' : 'buffered';
  }

  /** Releases the answer held back (if it was) and ends the stream. */
  finish(outcome: CascadeOutcome, includeUsage: boolean): void {
    const { stream } = this;
    if (!stream.opened) stream.open(cascadeHeaders(outcome.trace));
    if (outcome.tokens instanceof BufferedTokens) for (const piece of outcome.tokens.release(outcome.result)) stream.piece(piece);
    stream.finish(outcome.result, outcome.calls, includeUsage, traceBody(outcome.trace, outcome.calls, this.delivery(outcome)));
  }
}
