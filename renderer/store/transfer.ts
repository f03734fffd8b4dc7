import type { AppClient, ExportFile, ServeStartRequest, ServeStatus } from '../../core/app-api.js';
import { parseTunedConfig } from '../../core/config.js';
import { describeError, type SliceCreator } from './types.js';

export interface TransferSlice {
  transferMessage: string | null;
  transferError: string | null;
  /** Fetches the tuned config or the report from the engine, for the view to save. */
  exportFile(what: 'config' | 'json' | 'csv'): Promise<ExportFile | null>;
  /** Checks a tuned config against the core's schema here first (for a precise message), then makes it current. */
  importConfig(text: string, fileName: string): Promise<void>;
  /** The app's OpenAI-compatible endpoint, as the engine last reported it. */
  serve: ServeStatus;
  serveError: string | null;
  startServe(request: ServeStartRequest): Promise<void>;
  stopServe(): Promise<void>;
  receiveServe(status: ServeStatus): void;
}

export const createTransferSlice = (api: AppClient): SliceCreator<TransferSlice> => (set, get) => ({
  transferMessage: null,
  transferError: null,
  serve: { running: false, url: null, models: [] },
  serveError: null,
  startServe: async (request) => {
    set({ serveError: null });
    try {
      set({ serve: await api.startServe(request) });
    } catch (err) {
      set({ serveError: describeError(err) });
    }
  },
  stopServe: async () => {
    set({ serveError: null });
    try {
      set({ serve: await api.stopServe() });
    } catch (err) {
      set({ serveError: describeError(err) });
    }
  },
  receiveServe: (status) => set({ serve: status }),
  exportFile: async (what) => {
    set({ transferError: null, transferMessage: null });
    try {
      const file = what === 'config' ? await api.exportConfig() : await api.exportReport({ format: what });
      set({ transferMessage: `Exported ${file.fileName}.` });
      return file;
    } catch (err) {
      set({ transferError: describeError(err) });
      return null;
    }
  },
  importConfig: async (text, fileName) => {
    set({ transferError: null, transferMessage: null });
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      set({ transferError: `${fileName}: not JSON (${describeError(err)})` });
      return;
    }
    try {
      parseTunedConfig(raw, fileName);
      const state = await api.importConfig({ text, fileName });
      set({ workspace: state.workspace, transferMessage: `Imported ${fileName}: it is now the current tuned config.` });
      if (state.tune) await get().adoptTune(state.tune);
    } catch (err) {
      set({ transferError: describeError(err) });
    }
  },
});
