import { createContext, useContext } from 'react';
import { createStore, useStore, type StoreApi } from 'zustand';
import type { AppClient } from '../../core/app-api.js';
import type { EngineLink } from '../api/engine-link.js';
import { createClusterMapSlice } from './cluster-map.js';
import { createCompareSlice } from './compare.js';
import { createConnectionSlice } from './connection.js';
import { createLiveSlice } from './live.js';
import { createQeSlice } from './qe.js';
import { createRunsSlice } from './runs.js';
import { createTracesSlice } from './traces.js';
import { createTuningSlice } from './tuning.js';
import { createTransferSlice } from './transfer.js';
import type { AppStore } from './types.js';
import { createUiSlice } from './ui.js';
import { createWorkspaceSlice } from './workspace.js';

export type { AppStore } from './types.js';

/**
 * Builds the one store from its slices and routes the engine's events to the slice they concern;
 * `link` (browser mode) reports whether the engine answers.
 */
export function createAppStore(api: AppClient, link: EngineLink | null = null): { store: StoreApi<AppStore>; dispose: () => void } {
  const store = createStore<AppStore>()((...a) => ({
    ...createWorkspaceSlice(api)(...a),
    ...createTuningSlice(api)(...a),
    ...createClusterMapSlice(api)(...a),
    ...createTracesSlice(api)(...a),
    ...createQeSlice(api)(...a),
    ...createLiveSlice(api)(...a),
    ...createCompareSlice(api)(...a),
    ...createRunsSlice(api)(...a),
    ...createTransferSlice(api)(...a),
    ...createUiSlice(...a),
    ...createConnectionSlice(link)(...a),
  }));
  const unlink = link?.subscribe((engine) => store.setState({ engine }));
  const unsubscribe = api.subscribe((event) => {
    const s = store.getState();
    if (event.type.startsWith('live.')) s.receiveLive(event);
    else if (event.type.startsWith('compare.')) s.receiveCompare(event);
    else if (event.type === 'stream.error') {
      s.receiveLive(event);
      s.receiveCompare(event);
    } else if (event.type.startsWith('run.')) s.receiveRun(event);
    else if (event.type === 'serve.status') s.receiveServe(event.status);
  });
  return {
    store,
    dispose: () => {
      unsubscribe();
      unlink?.();
    },
  };
}

export const StoreContext = createContext<StoreApi<AppStore> | null>(null);

/** Reads one value of the store; pass a selector per value, and wrap object-building selectors in useShallow. */
export function useApp<T>(selector: (state: AppStore) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useApp outside <StoreContext.Provider>');
  return useStore(store, selector);
}
