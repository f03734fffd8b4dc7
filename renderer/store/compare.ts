import type { AppClient, AppEvent, PassStats } from '../../core/app-api.js';
import { EarlyEvents, isStreamEvent, TokenBatcher } from './stream-buffer.js';
import type { StreamStatus } from './live.js';
import { describeError, type SliceCreator } from './types.js';

export interface CompareColumn {
  tier: string;
  text: string;
  tokenTimes: number[];
  stats: PassStats | null;
  error: string | null;
}

export interface CompareSlice {
  compareTiers: string[];
  compareStreamId: string | null;
  compareStatus: StreamStatus;
  compareColumns: CompareColumn[];
  compareError: string | null;
  setCompareTiers(tiers: string[]): void;
  startCompare(prompt: string, maxTokens: number): Promise<void>;
  stopCompare(): Promise<void>;
  receiveCompare(event: AppEvent): void;
}

function updateColumn(columns: CompareColumn[], tier: string, change: (c: CompareColumn) => CompareColumn): CompareColumn[] {
  return columns.map((c) => (c.tier === tier ? change(c) : c));
}

export const createCompareSlice = (api: AppClient): SliceCreator<CompareSlice> => (set, get) => {
  const early = new EarlyEvents();
  const tokens = new TokenBatcher<string>((batch) =>
    set((s) => ({
      compareColumns: s.compareColumns.map((c) => {
        const add = batch.get(c.tier);
        return add ? { ...c, text: c.text + add.text, tokenTimes: [...c.tokenTimes, ...add.times] } : c;
      }),
    })),
  );

  function apply(event: AppEvent): void {
    if (event.type === 'compare.token') {
      tokens.add(event.tier, event.text, event.atMs);
      return;
    }
    tokens.flush();
    switch (event.type) {
      case 'compare.tierEnd':
        set((s) => ({ compareColumns: updateColumn(s.compareColumns, event.tier, (c) => ({ ...c, stats: event.stats })) }));
        break;
      case 'compare.done':
        set({ compareStatus: event.aborted ? 'aborted' : 'done' });
        break;
      case 'stream.error':
        if (event.tier) set((s) => ({ compareColumns: updateColumn(s.compareColumns, event.tier as string, (c) => ({ ...c, error: event.message })) }));
        else set({ compareStatus: 'error', compareError: event.message });
        break;
      default:
        break;
    }
  }

  return {
    compareTiers: [],
    compareStreamId: null,
    compareStatus: 'idle',
    compareColumns: [],
    compareError: null,
    setCompareTiers: (compareTiers) => set({ compareTiers }),
    startCompare: async (prompt, maxTokens) => {
      const tiers = get().compareTiers;
      set({
        compareStreamId: null,
        compareStatus: 'starting',
        compareError: null,
        compareColumns: tiers.map((tier) => ({ tier, text: '', tokenTimes: [], stats: null, error: null })),
      });
      try {
        const { streamId } = await api.startCompare({ prompt, tiers, maxTokens });
        set({ compareStreamId: streamId, compareStatus: 'running' });
        for (const event of early.take(streamId)) apply(event);
      } catch (err) {
        set({ compareStatus: 'error', compareError: describeError(err) });
      }
    },
    stopCompare: async () => {
      const id = get().compareStreamId;
      if (!id) return;
      try {
        await api.abortStream({ streamId: id });
      } catch (err) {
        set({ compareError: describeError(err) });
      }
    },
    receiveCompare: (event) => {
      if (!isStreamEvent(event) || !(event.type.startsWith('compare.') || event.type === 'stream.error')) return;
      const { compareStreamId, compareStatus } = get();
      if (compareStatus === 'starting') early.hold(event);
      else if (event.streamId === compareStreamId) apply(event);
    },
  };
};
