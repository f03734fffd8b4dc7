import { performance } from 'node:perf_hooks';
import type { GenerateRequest, GenerationResult, Tier, TokenEvent } from '../../core/tier.js';
import { AllTiersFailedError, StreamInterruptedError } from './errors.js';
import type { SseWriter } from './openai-format.js';
import type { CascadeDecision, CascadeRouter, RoutingText } from './router.js';
import { callLadder, TierFailedError, type Fallback, type TierCallPolicy, type TokenSink } from './tier-call.js';

/** How one request went through the cascade: what the headers, metrics and decision log report. */
export interface CascadeTrace {
  /** Null when the client named a tier directly (no routing). */
  cluster: number | null;
  /** The tier whose answer stage 1 produced (after any failover). */
  stage1: string;
  final: string;
  escalated: boolean;
  qe: number | null;
  threshold: number | null;
  fallbacks: Fallback[];
  /** Whether the client saw tokens as they were generated (`live`) or after the QE accepted them (`buffered`). */
  delivery: 'live' | 'buffered' | 'json';
}

export interface CascadeOutcome {
  trace: CascadeTrace;
  result: GenerationResult;
  /** Every tier call that answered, in order (stage 1 and, when escalated, stage 2). */
  calls: GenerationResult[];
  /** Milliseconds spent inside tier calls; the rest of a request's time is router overhead. */
  tierMs: number;
}

export interface CascadeRun {
  tiers: ReadonlyMap<string, Tier>;
  /** Null for a request that named a tier directly. */
  router: CascadeRouter | null;
  decision: CascadeDecision;
  text: RoutingText;
  request: GenerateRequest;
  policy: TierCallPolicy;
  signal: AbortSignal;
  /** The stream to write to; null for a JSON answer, which the caller writes from the outcome. */
  stream: SseWriter | null;
  includeUsage: boolean;
  /** Stream stage 1 as it is generated when the decision has no gate. */
  liveUngated: boolean;
}

/** The x-cascade-* headers every answer carries. */
export function cascadeHeaders(trace: CascadeTrace): Record<string, string> {
  const headers: Record<string, string> = {
    'x-cascade-cluster': trace.cluster === null ? 'none' : String(trace.cluster),
    'x-cascade-stage1': trace.stage1,
    'x-cascade-final': trace.final,
    'x-cascade-escalated': String(trace.escalated),
    'x-cascade-qe': trace.qe === null ? 'none' : trace.qe.toFixed(4),
  };
  if (trace.fallbacks.length > 0) headers['x-cascade-fallback'] = trace.fallbacks.map((f) => `${f.from}>${f.to ?? 'none'}:${f.reason}`).join(', ');
  return headers;
}

/** The trace as the `cascade` extension field of a body or last chunk. */
export function traceBody(trace: CascadeTrace): object {
  return { cluster: trace.cluster, stage1: trace.stage1, final: trace.final, escalated: trace.escalated, qe: trace.qe, fallbacks: trace.fallbacks };
}

class BufferSink implements TokenSink {
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

class LiveSink implements TokenSink {
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
 * Runs one request through its decision: stage 1 (with failover down the ladder), the QE
 * gate, and escalation to the next tier when the QE rejects. A streamed answer only ever
 * carries one tier's text: stage 1 is held back until accepted unless it is ungated and
 * `liveUngated` is set, and once any token reached the client no failover happens.
 */
export async function runCascade(run: CascadeRun): Promise<CascadeOutcome> {
  const { decision, stream } = run;
  const ladder = decision.ladder;
  const fallbacks: Fallback[] = [];
  const calls: GenerationResult[] = [];
  let tierMs = 0;
  const trace: CascadeTrace = {
    cluster: run.router ? decision.cluster : null,
    stage1: ladder[0],
    final: ladder[0],
    escalated: false,
    qe: null,
    threshold: decision.threshold,
    fallbacks,
    delivery: stream ? 'buffered' : 'json',
  };
  const call = async (start: number, sink: TokenSink) => {
    const t0 = performance.now();
    try {
      const answer = await callLadder(run.tiers, ladder, start, run.request, run.policy, run.signal, sink, (f) => fallbacks.push(f));
      calls.push(answer.result);
      return answer;
    } catch (err) {
      if (!(err instanceof TierFailedError)) throw err;
      if (sink.committed) throw new StreamInterruptedError(err.tier, err.reason);
      throw new AllTiersFailedError(fallbacks.map((f) => ({ tier: f.from, reason: f.reason })));
    } finally {
      tierMs += performance.now() - t0;
    }
  };

  const live1 = stream !== null && run.liveUngated && !decision.gate;
  const buffer = new BufferSink();
  const sink1: TokenSink = live1
    ? new LiveSink(stream, (tier) => cascadeHeaders({ ...trace, stage1: tier, final: tier }))
    : buffer;
  if (live1) trace.delivery = 'live';
  const first = await call(0, sink1);
  trace.stage1 = trace.final = ladder[first.index];
  let result = first.result;

  // The gate is calibrated for the planned stage-1 tier, so an answer that came from a fallback tier is final.
  if (decision.gate && run.router && first.index === 0) {
    trace.qe = await run.router.score(decision, run.text, first.result);
    if (decision.threshold !== null && trace.qe < decision.threshold && ladder.length > 1) {
      trace.escalated = true;
      const sink2: TokenSink = stream ? new LiveSink(stream, (tier) => cascadeHeaders({ ...trace, final: tier })) : new BufferSink();
      try {
        const second = await call(1, sink2);
        result = second.result;
        trace.final = ladder[second.index];
        if (stream) trace.delivery = 'live';
      } catch (err) {
        // Every stronger tier failed before sending anything: the stage-1 answer is still better than none.
        if (!(err instanceof AllTiersFailedError)) throw err;
        trace.escalated = false;
      }
    }
  }

  if (stream) {
    if (!stream.opened) stream.open(cascadeHeaders(trace));
    if (trace.delivery === 'buffered') {
      for (const piece of buffer.release(result)) stream.piece(piece);
    }
    stream.finish(result, run.includeUsage, traceBody(trace));
  }
  return { trace, result, calls, tierMs };
}
