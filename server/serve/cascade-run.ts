import { performance } from 'node:perf_hooks';
import type { AbortSignalLike, GenerateRequest, GenerationResult, Tier, TokenEvent } from '../../core/tier.js';
import { AllTiersFailedError, InputTooLongError, StreamInterruptedError } from './errors.js';
import type { SseWriter } from './openai-format.js';
import type { CascadeDecision, CascadeRouter, RoutingText } from './router.js';
import { callLadder, callTier, ClientAbortedError, TierFailedError, type Fallback, type TierCallPolicy, type TokenSink } from './tier-call.js';

/** How one request went through the cascade: what the headers, metrics and decision log report. */
export interface CascadeTrace {
  /** Null when the client named a tier directly (no routing). */
  cluster: number | null;
  /** The tier whose answer stage 1 produced (after any failover). */
  stage1: string;
  final: string;
  escalated: boolean;
  /** The QE score of the stage-1 answer; null when it was not scored. */
  qe: number | null;
  /** Every QE score computed, one per judged rung. */
  qeScores: number[];
  /** Agreement plans: whether stage 1 and its partner agreed. */
  agree: boolean | null;
  threshold: number | null;
  fallbacks: Fallback[];
  /** Whether the client saw tokens as they were generated (`live`), after the cascade settled (`buffered`), or as one body (`json`). */
  delivery: 'live' | 'buffered' | 'json';
}

export interface CascadeOutcome {
  trace: CascadeTrace;
  result: GenerationResult;
  /** Every tier call that answered, in order (the partner's too): each one was paid for. */
  calls: GenerationResult[];
  /** Milliseconds spent waiting for tier calls; the rest of a request's time is router overhead. */
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
  signal: AbortSignalLike;
  /** The stream to write to; null for a JSON answer, which the caller writes from the outcome. */
  stream: SseWriter | null;
  includeUsage: boolean;
  /** Stream stage 1 as it is generated when the decision has no gate. */
  liveUngated: boolean;
  /**
   * Every tier call that answers is added here as it answers (the outcome's `calls`): a request that
   * fails or is abandoned afterwards still accounts for what it paid.
   */
  calls: GenerationResult[];
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

/** The trace as the `cascade` extension field of a body or last chunk, with each paid call's tokens and cost (`usage` is their sum). */
export function traceBody(trace: CascadeTrace, calls: readonly GenerationResult[]): object {
  const passes = calls.map((r) => ({ tier: r.tier, inputTokens: r.inputTokens, outputTokens: r.outputTokens, costUsd: r.costUsd }));
  const costUsd = calls.reduce((n, r) => n + r.costUsd, 0);
  return { cluster: trace.cluster, stage1: trace.stage1, final: trace.final, escalated: trace.escalated, qe: trace.qe, agree: trace.agree, fallbacks: trace.fallbacks, delivery: trace.delivery, passes, costUsd };
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

interface Answer {
  result: GenerationResult;
  /** Ladder index of the tier that gave it. */
  index: number;
  sink: TokenSink;
}

/**
 * Runs one request through its decision: stage 1 (with failover down the ladder), the
 * router's judgement of each rung's answer, and escalation up the rungs while it says so. A
 * streamed answer only ever carries one tier's text: an answer that may still be judged is
 * held back, only the last rung (or ungated stage 1 with `liveUngated`) streams as it is
 * generated, and once any token reached the client no failover happens.
 */
export async function runCascade(run: CascadeRun): Promise<CascadeOutcome> {
  const { decision, stream } = run;
  const ladder = decision.ladder;
  const fallbacks: Fallback[] = [];
  const failed = new Set<string>();
  const { calls } = run;
  let tierMs = 0;
  const trace: CascadeTrace = {
    cluster: run.router ? decision.cluster : null,
    stage1: ladder[0],
    final: ladder[0],
    escalated: false,
    qe: null,
    qeScores: [],
    agree: null,
    threshold: decision.threshold,
    fallbacks,
    delivery: stream ? 'buffered' : 'json',
  };
  const lastRung = decision.rungs - 1;
  const sinkFor = (step: number): TokenSink => {
    const live = stream !== null && (step > 0 ? step === lastRung : !decision.gate && run.liveUngated);
    if (!live) return new BufferSink();
    trace.delivery = 'live';
    // Headers go out with the first token, before the call returns: say now what the trace will say then.
    return new LiveSink(stream, (tier) => cascadeHeaders({ ...trace, final: tier, escalated: step > 0, ...(step === 0 && { stage1: tier }) }));
  };
  // `end` (exclusive) bounds the ladder: an escalation climbs only the stronger rungs, never down to the failover tiers.
  const call = async (start: number, sink: TokenSink, end = ladder.length): Promise<Answer> => {
    const t0 = performance.now();
    try {
      const answer = await callLadder(run.tiers, ladder.slice(0, end), start, run.request, run.policy, run.signal, sink, failed, (f) => fallbacks.push(f));
      calls.push(answer.result);
      return { ...answer, sink };
    } catch (err) {
      // What a call generated before the client left was paid for all the same.
      if (err instanceof ClientAbortedError && err.partial) calls.push(err.partial);
      if (!(err instanceof TierFailedError)) throw err;
      if (sink.committed) throw new StreamInterruptedError(err.tier, err.reason);
      // No tier's context holds the prompt: the client's request is what must change, as OpenAI says with a 400.
      if (fallbacks.length > 0 && fallbacks.every((f) => f.reason === 'context_length')) {
        throw new InputTooLongError(`The conversation does not fit the context of any tier on the ladder (${fallbacks.map((f) => f.from).join(', ')}): ${err.message}`, 400, 'messages');
      }
      throw new AllTiersFailedError(fallbacks.map((f) => ({ tier: f.from, reason: f.reason })));
    } finally {
      tierMs += performance.now() - t0;
    }
  };

  // An agreement partner runs beside stage 1; if it fails, the answers cannot agree. Its promise
  // never rejects (a client abort comes back as a value): stage 1 may take longer than the
  // partner's failure, and a rejection with no handler meanwhile would end the process.
  const partnerTier = decision.partner === null ? undefined : run.tiers.get(decision.partner);
  const partnerCall: Promise<GenerationResult | ClientAbortedError | null> = partnerTier
    ? callTier(partnerTier, run.request, run.policy, run.signal, new BufferSink()).then(
        (r) => (calls.push(r), r),
        (err: unknown) => {
          if (!(err instanceof ClientAbortedError)) return null;
          if (err.partial) calls.push(err.partial);
          return err;
        },
      )
    : Promise.resolve(null);
  let answer: Answer;
  try {
    answer = await call(0, sinkFor(0));
  } finally {
    // Settle the partner either way, so no call outlives the request unobserved.
    const t0 = performance.now();
    await partnerCall;
    tierMs += performance.now() - t0;
  }
  trace.stage1 = trace.final = ladder[answer.index];
  let tokens = answer.result.inputTokens + answer.result.outputTokens;
  const partner = await partnerCall;
  if (partner instanceof ClientAbortedError) throw partner;
  if (partner) tokens += partner.inputTokens + partner.outputTokens;

  // Only an answer from the planned rung is judged: thresholds are calibrated per model, so a failover answer is final.
  for (let step = 0; run.router && decision.gate && answer.index === step && step < lastRung; step++) {
    const verdict = await run.router.judge(decision, run.text, step, answer.result, step === 0 ? partner : null, tokens);
    if (verdict.qe !== null) {
      trace.qeScores.push(verdict.qe);
      if (step === 0) trace.qe = verdict.qe;
    }
    if (step === 0) trace.agree = verdict.agree;
    if (!verdict.escalate) break;
    let next: Answer;
    try {
      next = await call(step + 1, sinkFor(step + 1), decision.rungs);
    } catch (err) {
      // Every stronger tier failed before sending anything: the answer in hand beats none.
      if (!(err instanceof AllTiersFailedError || err instanceof InputTooLongError)) throw err;
      if (trace.delivery === 'live') trace.delivery = 'buffered';
      break;
    }
    answer = next;
    trace.escalated = true;
    trace.final = ladder[answer.index];
    tokens += answer.result.inputTokens + answer.result.outputTokens;
  }

  if (stream) {
    if (!stream.opened) stream.open(cascadeHeaders(trace));
    if (answer.sink instanceof BufferSink) for (const piece of answer.sink.release(answer.result)) stream.piece(piece);
    stream.finish(answer.result, calls, run.includeUsage, traceBody(trace, calls));
  }
  return { trace, result: answer.result, calls, tierMs };
}
