import type { AppClient, TraceDetail, TraceFilter, TracePage, TraceRow } from '../../core/app-api.js';
import { describeError, type SliceCreator } from './types.js';

export interface TracesSlice {
  traceFilter: TraceFilter;
  tracePage: TracePage | null;
  tracesError: string | null;
  openQid: string | null;
  traceDetail: TraceDetail | null;
  traceDetailError: string | null;
  loadTraces(): Promise<void>;
  setTraceFilter(change: Partial<TraceFilter>): void;
  /** Opens one query's trace (from the list, or from the cluster map) and shows the traces view. */
  openTrace(qid: string): Promise<void>;
  closeTrace(): void;
  /** One query's trace row under the served region, for a hover card; null when it cannot be read. */
  fetchTraceRow(qid: string): Promise<TraceRow | null>;
}

export const PAGE_SIZE = 100;

export const createTracesSlice = (api: AppClient): SliceCreator<TracesSlice> => (set, get) => {
  let listSeq = 0;
  let detailSeq = 0;
  return {
    traceFilter: { offset: 0, limit: PAGE_SIZE },
    tracePage: null,
    tracesError: null,
    openQid: null,
    traceDetail: null,
    traceDetailError: null,
    loadTraces: async () => {
      const seq = ++listSeq;
      try {
        const tracePage = await api.listTraces(get().traceFilter);
        if (seq === listSeq) set({ tracePage, tracesError: null });
      } catch (err) {
        if (seq === listSeq) set({ tracesError: describeError(err) });
      }
    },
    setTraceFilter: (change) => {
      // Any change but paging starts again at the first page.
      const offset = 'offset' in change ? change.offset : 0;
      const next: TraceFilter = { ...get().traceFilter, ...change, offset };
      for (const key of Object.keys(next) as (keyof TraceFilter)[]) if (next[key] === undefined || next[key] === '') delete next[key];
      set({ traceFilter: next });
      void get().loadTraces();
    },
    openTrace: async (qid) => {
      const seq = ++detailSeq;
      set({ openQid: qid, traceDetail: null, traceDetailError: null, view: 'traces' });
      try {
        const traceDetail = await api.getTrace({ qid });
        if (seq === detailSeq) set({ traceDetail });
      } catch (err) {
        if (seq === detailSeq) set({ traceDetailError: describeError(err) });
      }
    },
    fetchTraceRow: (qid) => api.getTrace({ qid }).then((d) => d.row, () => null),
    closeTrace: () => {
      detailSeq++;
      set({ openQid: null, traceDetail: null, traceDetailError: null });
    },
  };
};
