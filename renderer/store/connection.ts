import type { EngineLink, LinkState } from '../api/engine-link.js';
import type { SliceCreator } from './types.js';

export interface ConnectionSlice {
  /** Whether the engine answers; a banner with a reconnect action shows while it does not. */
  engine: LinkState;
  /** Reopens the event stream at once and reads the engine's state again. */
  reconnectEngine(): Promise<void>;
}

export const createConnectionSlice = (link: EngineLink | null): SliceCreator<ConnectionSlice> => (_set, get) => ({
  engine: link?.state ?? { connected: true },
  reconnectEngine: async () => {
    link?.reconnect();
    await get().init();
  },
});
