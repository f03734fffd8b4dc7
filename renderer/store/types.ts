import type { StateCreator } from 'zustand';
import type { WorkspaceSlice } from './workspace.js';
import type { TuningSlice } from './tuning.js';
import type { ClusterMapSlice } from './cluster-map.js';
import type { TracesSlice } from './traces.js';
import type { QeSlice } from './qe.js';
import type { LiveSlice } from './live.js';
import type { CompareSlice } from './compare.js';
import type { RunsSlice } from './runs.js';
import type { TransferSlice } from './transfer.js';
import type { UiSlice } from './ui.js';
import type { ConnectionSlice } from './connection.js';

/** The one store: every slice sees the whole state through `get`, as zustand's slices pattern has it. */
export type AppStore = WorkspaceSlice & TuningSlice & ClusterMapSlice & TracesSlice & QeSlice & LiveSlice & CompareSlice & RunsSlice & TransferSlice & UiSlice & ConnectionSlice;

export type SliceCreator<T> = StateCreator<AppStore, [], [], T>;

/** The message a view shows for a failed call. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
