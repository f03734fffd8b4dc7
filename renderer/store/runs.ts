import type { AppClient, AppEvent, RunInfo, RunRequest } from '../../core/app-api.js';
import { describeError, type SliceCreator } from './types.js';

export interface TierError {
  runId: string;
  tier: string;
  qid: string;
  message: string;
}

export interface RunsSlice {
  runs: RunInfo[];
  runErrors: TierError[];
  runsError: string | null;
  loadRuns(): Promise<void>;
  startRun(request: RunRequest): Promise<void>;
  pauseRun(runId: string): Promise<void>;
  resumeRun(runId: string): Promise<void>;
  receiveRun(event: AppEvent): void;
}

// The view lists the latest errors; a run with thousands of failures must not grow the store without end.
const KEEP_ERRORS = 200;

function upsert(runs: RunInfo[], run: RunInfo): RunInfo[] {
  return runs.some((r) => r.runId === run.runId) ? runs.map((r) => (r.runId === run.runId ? run : r)) : [run, ...runs];
}

export const createRunsSlice = (api: AppClient): SliceCreator<RunsSlice> => (set) => {
  async function call(action: () => Promise<RunInfo>): Promise<void> {
    try {
      const run = await action();
      set((s) => ({ runs: upsert(s.runs, run), runsError: null }));
    } catch (err) {
      set({ runsError: describeError(err) });
    }
  }
  return {
    runs: [],
    runErrors: [],
    runsError: null,
    loadRuns: async () => {
      try {
        set({ runs: await api.listRuns(), runsError: null });
      } catch (err) {
        set({ runsError: describeError(err) });
      }
    },
    startRun: (request) => call(() => api.startRun(request)),
    pauseRun: (runId) => call(() => api.pauseRun({ runId })),
    resumeRun: (runId) => call(() => api.resumeRun({ runId })),
    receiveRun: (event) => {
      if (event.type === 'run.progress') set((s) => ({ runs: upsert(s.runs, event.run) }));
      else if (event.type === 'run.tierError') {
        const { runId, tier, qid, message } = event;
        set((s) => ({ runErrors: [{ runId, tier, qid, message }, ...s.runErrors].slice(0, KEEP_ERRORS) }));
      }
    },
  };
};
