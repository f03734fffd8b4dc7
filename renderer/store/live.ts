import type { AppClient, AppEvent, LiveReadiness, PassStats } from '../../core/app-api.js';

type DecisionReason = Extract<AppEvent, { type: 'live.passEnd' }>['reason'];
import { EarlyEvents, isStreamEvent, TokenBatcher } from './stream-buffer.js';
import { describeError, type SliceCreator } from './types.js';

export type StreamStatus = 'idle' | 'starting' | 'running' | 'done' | 'aborted' | 'error';

/** One pass of the cascade as it streams: stage 1, then each escalation. */
export interface LivePass {
  pass: number;
  tier: string;
  cluster: number | null;
  role: 'stage1' | 'partner' | 'escalation';
  text: string;
  /** Arrival time of every token, ms since the pass began. */
  tokenTimes: number[];
  stats: PassStats | null;
  qeScore: number | null;
  threshold: number | null;
  escalate: boolean | null;
  reason: DecisionReason | null;
}

export interface LiveSlice {
  liveStreamId: string | null;
  liveStatus: StreamStatus;
  livePasses: LivePass[];
  liveFinal: { tier: string | null; text: string } | null;
  liveError: string | null;
  /** Whether the pool can serve the served plan; null until asked. */
  liveReadiness: LiveReadiness | null;
  checkLive(): Promise<void>;
  startLive(prompt: string, maxTokens: number): Promise<void>;
  stopLive(): Promise<void>;
  receiveLive(event: AppEvent): void;
}

function updatePass(passes: LivePass[], pass: number, change: (p: LivePass) => LivePass): LivePass[] {
  return passes.map((p) => (p.pass === pass ? change(p) : p));
}

export const createLiveSlice = (api: AppClient): SliceCreator<LiveSlice> => (set, get) => {
  const early = new EarlyEvents();
  let stopRequested = false;
  const tokens = new TokenBatcher<number>((batch) =>
    set((s) => ({
      livePasses: s.livePasses.map((p) => {
        const add = batch.get(p.pass);
        return add ? { ...p, text: p.text + add.text, tokenTimes: [...p.tokenTimes, ...add.times] } : p;
      }),
    })),
  );

  function apply(event: AppEvent): void {
    if (event.type === 'live.token') {
      tokens.add(event.pass, event.text, event.atMs);
      return;
    }
    tokens.flush();
    switch (event.type) {
      case 'live.passStart':
        set((s) => ({
          livePasses: [...s.livePasses, { pass: event.pass, tier: event.tier, cluster: event.cluster, role: event.role, text: '', tokenTimes: [], stats: null, qeScore: null, threshold: null, escalate: null, reason: null }],
        }));
        break;
      case 'live.passEnd':
        set((s) => ({
          livePasses: updatePass(s.livePasses, event.pass, (p) => ({ ...p, stats: event.stats, qeScore: event.qeScore, threshold: event.threshold, escalate: event.escalate, reason: event.reason })),
        }));
        break;
      case 'live.done':
        set({ liveStatus: event.aborted ? 'aborted' : 'done', liveFinal: { tier: event.finalTier, text: event.text } });
        break;
      case 'stream.error':
        set({ liveStatus: 'error', liveError: event.message });
        break;
      default:
        break;
    }
  }

  return {
    liveStreamId: null,
    liveStatus: 'idle',
    livePasses: [],
    liveFinal: null,
    liveError: null,
    liveReadiness: null,
    checkLive: async () => {
      try {
        set({ liveReadiness: await api.checkLive() });
      } catch (err) {
        set({ liveReadiness: { ready: false, reason: describeError(err), models: [] } });
      }
    },
    startLive: async (prompt, maxTokens) => {
      stopRequested = false;
      set({ liveStreamId: null, liveStatus: 'starting', livePasses: [], liveFinal: null, liveError: null });
      try {
        const { streamId } = await api.startLive({ prompt, maxTokens });
        set({ liveStreamId: streamId, liveStatus: 'running' });
        for (const event of early.take(streamId)) apply(event);
        if (stopRequested) await get().stopLive();
      } catch (err) {
        set({ liveStatus: 'error', liveError: describeError(err) });
      }
    },
    stopLive: async () => {
      const id = get().liveStreamId;
      // Stop is enabled while the stream starts, before its handle exists: the stop waits for the handle.
      if (!id) {
        stopRequested = get().liveStatus === 'starting';
        return;
      }
      stopRequested = false;
      try {
        await api.abortStream({ streamId: id });
      } catch (err) {
        set({ liveError: describeError(err) });
      }
    },
    receiveLive: (event) => {
      if (!isStreamEvent(event) || !(event.type.startsWith('live.') || event.type === 'stream.error')) return;
      const { liveStreamId, liveStatus } = get();
      if (liveStatus === 'starting') early.hold(event);
      else if (event.streamId === liveStreamId) apply(event);
    },
  };
};

/** What one query cost over its finished passes. */
export interface LiveTotals {
  passes: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  /** Time the cascade took: an agreement partner runs beside stage 1, escalations one after another. */
  latencyMs: number;
}

/** Totals over the passes that have ended (null before any has). */
export function liveTotals(passes: readonly LivePass[]): LiveTotals | null {
  const ended = passes.filter((p): p is LivePass & { stats: PassStats } => p.stats !== null);
  if (ended.length === 0) return null;
  const firstStep = ended.filter((p) => p.role !== 'escalation').map((p) => p.stats.latencyMs);
  const escalations = ended.filter((p) => p.role === 'escalation').reduce((a, p) => a + p.stats.latencyMs, 0);
  return {
    passes: ended.length,
    costUsd: ended.reduce((a, p) => a + p.stats.costUsd, 0),
    inputTokens: ended.reduce((a, p) => a + p.stats.inputTokens, 0),
    outputTokens: ended.reduce((a, p) => a + p.stats.outputTokens, 0),
    latencyMs: (firstStep.length ? Math.max(...firstStep) : 0) + escalations,
  };
}
