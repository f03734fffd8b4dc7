import type { AppClient, QeView } from '../../core/app-api.js';
import { describeError, type SliceCreator } from './types.js';

export interface QeSlice {
  qe: QeView | null;
  qeError: string | null;
  qeBusy: boolean;
  loadQe(): Promise<void>;
  /** Sets the escalation threshold (for one stage-1 model, or all) and takes the engine's new operating point. */
  setQeThreshold(threshold: number, model?: string): Promise<void>;
}

export const createQeSlice = (api: AppClient): SliceCreator<QeSlice> => (set, get) => {
  let seq = 0;
  return {
    qe: null,
    qeError: null,
    qeBusy: false,
    loadQe: async () => {
      const mine = ++seq;
      try {
        const qe = await api.getQe();
        if (mine === seq) set({ qe, qeError: null });
      } catch (err) {
        if (mine === seq) set({ qeError: describeError(err) });
      }
    },
    setQeThreshold: async (threshold, model) => {
      const mine = ++seq;
      set({ qeBusy: true });
      try {
        const result = await api.setQeThreshold(model === undefined ? { threshold } : { threshold, model });
        if (mine !== seq) return;
        set({ qe: result.qe, enginePoint: result.operatingPoint, qeError: null });
        // The budget regions' escalation figures change with the threshold.
        const [budget, routingTable] = await Promise.all([api.getBudget(), api.getRoutingTable()]);
        set({ budget, routingTable });
        void get().loadTraces();
      } catch (err) {
        if (mine === seq) set({ qeError: describeError(err) });
      } finally {
        if (mine === seq) set({ qeBusy: false });
      }
    },
  };
};
