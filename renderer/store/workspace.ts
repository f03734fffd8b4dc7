import type { AppClient, DataSetInfo, HardwareView, ModelFileInfo, PoolFile, Settings, WorkspaceInfo, WorkspaceSource } from '../../core/app-api.js';
import { describeError, type SliceCreator } from './types.js';

export interface WorkspaceSlice {
  dataSets: DataSetInfo[];
  workspace: WorkspaceInfo | null;
  workspaceBusy: boolean;
  workspaceError: string | null;
  /** The backend local tiers run on and how the pool's local tiers fit it; null until read. */
  hardware: HardwareView | null;
  hardwareError: string | null;
  /** Reads the engine's state once at launch and fills every view that has data. */
  init(): Promise<void>;
  loadWorkspace(source: WorkspaceSource): Promise<void>;
  setPool(pool: PoolFile): Promise<void>;
  setSettings(settings: Settings): Promise<void>;
  /** Loads a finished benchmark run's run log as the workspace, and tunes it. */
  openRun(runId: string): Promise<void>;
  /** Whether a GGUF file exists, its size, and whether its header reads (rejects when the engine cannot be asked). */
  inspectModelFile(path: string): Promise<ModelFileInfo>;
  /** Reads the backend report and the pool's fits again (the engine loads the native backend the first time: seconds). */
  refreshHardware(): Promise<void>;
}

export const createWorkspaceSlice = (api: AppClient): SliceCreator<WorkspaceSlice> => (set, get) => {
  /** Runs one workspace change; a new run log or split invalidates every tuned view, so it re-tunes. */
  async function change(call: () => Promise<WorkspaceInfo>, retune: boolean): Promise<void> {
    set({ workspaceBusy: true, workspaceError: null });
    try {
      const workspace = await call();
      set({ workspace, workspaceBusy: false });
      if (!retune) return;
      get().clearTuned();
      await get().runTune(get().requestedK);
    } catch (err) {
      set({ workspaceBusy: false, workspaceError: describeError(err) });
    }
  }

  return {
    dataSets: [],
    workspace: null,
    workspaceBusy: false,
    workspaceError: null,
    hardware: null,
    hardwareError: null,
    init: async () => {
      set({ workspaceBusy: true, workspaceError: null });
      try {
        const [state, dataSets] = await Promise.all([api.getState(), api.listDataSets()]);
        set({ workspace: state.workspace, dataSets, runs: state.runs, serve: state.serve, workspaceBusy: false });
        void get().refreshHardware();
        if (state.tune) await get().adoptTune(state.tune);
        // A tune already running (another window, a reload) is joined: the engine answers both calls with it.
        else if (state.workspace) await get().runTune(state.tuning?.k ?? get().requestedK);
      } catch (err) {
        set({ workspaceBusy: false, workspaceError: describeError(err) });
      }
    },
    loadWorkspace: (source) => change(() => api.loadWorkspace(source), true),
    // The live pool serves prompts; tuning reads the run log alone, so the tune stands.
    setPool: async (pool) => {
      await change(() => api.setPool(pool), false);
      await get().refreshHardware();
    },
    setSettings: (settings) => change(() => api.setSettings(settings), true),
    openRun: (runId) => change(() => api.openRun({ runId }), true),
    inspectModelFile: (path) => api.inspectModelFile({ path }),
    refreshHardware: async () => {
      try {
        set({ hardware: await api.getHardware(), hardwareError: null });
      } catch (err) {
        set({ hardwareError: describeError(err) });
      }
    },
  };
};
