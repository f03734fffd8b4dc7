import type { AppClient, BudgetView, OperatingPoint, RoutingTable, TuneReport } from '../../core/app-api.js';
import { regionForBudget, regionForLambda } from './operating-point.js';
import { describeError, type SliceCreator } from './types.js';

export type BudgetMode = 'lambda' | 'budget';

export interface TuningSlice {
  requestedK: number | 'auto';
  tune: TuneReport | null;
  tuning: boolean;
  tuneError: string | null;
  budget: BudgetView | null;
  routingTable: RoutingTable | null;
  budgetMode: BudgetMode;
  lambda: number;
  /** Cost-per-query cap, in the workspace's cost unit. */
  budgetCap: number;
  region: number;
  /** The engine's answer for the last settled slider position. */
  enginePoint: OperatingPoint | null;
  runTune(k: number | 'auto'): Promise<void>;
  /** Takes a finished tune and fetches every view derived from it. */
  adoptTune(report: TuneReport): Promise<void>;
  clearTuned(): void;
  setBudgetMode(mode: BudgetMode): void;
  setLambda(lambda: number): void;
  setBudgetCap(cap: number): void;
  /** The traces and QE figures depend on the operating point: re-read them once the engine has moved. */
  refreshAfterOperatingPoint(): void;
}

// The engine hears about a slider position once it rests this long; the views never wait for it.
const SETTLE_MS = 150;

export const createTuningSlice = (api: AppClient): SliceCreator<TuningSlice> => (set, get) => {
  let settleTimer: ReturnType<typeof setTimeout> | undefined;
  let syncSeq = 0;
  let tuneSeq = 0;

  function tellEngine(): void {
    clearTimeout(settleTimer);
    // Any move outdates a reply still on its way.
    const seq = ++syncSeq;
    settleTimer = setTimeout(async () => {
      const { budgetMode, lambda, budgetCap } = get();
      try {
        const point = await api.setOperatingPoint(budgetMode === 'lambda' ? { lambda } : { budget: budgetCap });
        if (seq !== syncSeq) return;
        // The local pick runs the engine's function on the engine's figures, so this region is the
        // one already shown; the engine stays the authority all the same.
        set({ enginePoint: point, region: point.region });
        get().refreshAfterOperatingPoint();
      } catch (err) {
        if (seq === syncSeq) set({ tuneError: describeError(err) });
      }
    }, SETTLE_MS);
  }

  return {
    requestedK: 'auto',
    tune: null,
    tuning: false,
    tuneError: null,
    budget: null,
    routingTable: null,
    budgetMode: 'lambda',
    lambda: 0,
    budgetCap: 0,
    region: 0,
    enginePoint: null,
    runTune: async (k) => {
      // The engine keeps serving while it tunes, so a newer tune can start before an older one answers; only the newest speaks.
      const seq = ++tuneSeq;
      set({ requestedK: k, tuning: true, tuneError: null });
      try {
        const report = await api.tune({ k });
        if (seq === tuneSeq) await get().adoptTune(report);
      } catch (err) {
        if (seq === tuneSeq) set({ tuneError: describeError(err) });
      } finally {
        if (seq === tuneSeq) set({ tuning: false });
      }
    },
    adoptTune: async (report) => {
      set({ tune: report, tuneError: null });
      try {
        const [budget, routingTable] = await Promise.all([api.getBudget(), api.getRoutingTable()]);
        const lambda = budget.current.lambda;
        set({
          budget,
          routingTable,
          lambda,
          budgetCap: budget.current.budget ?? budget.regions[budget.current.region].expected.costBound,
          // The tuned point may be the reference region (nothing cheaper certified), which no λ reaches.
          region: budget.current.region,
          enginePoint: budget.current,
        });
      } catch (err) {
        set({ tuneError: describeError(err) });
      }
      await Promise.all([get().loadClusterMap(), get().loadQe(), get().loadTraces()]);
    },
    clearTuned: () => {
      clearTimeout(settleTimer);
      set({ tune: null, budget: null, routingTable: null, enginePoint: null, clusterMap: null, qe: null, tracePage: null, traceDetail: null });
    },
    setBudgetMode: (budgetMode) => {
      const { budget, region } = get();
      // The cap starts at the current region's cost bound, the figure a budget is matched against. That cap
      // may buy a more accurate region (the guards can leave one as cheap further along λ): show and serve it.
      if (budget && budgetMode === 'budget') {
        const budgetCap = budget.regions[region].expected.costBound;
        const picked = regionForBudget(budget, budgetCap);
        set({ budgetMode, budgetCap, region: picked });
        if (picked !== region) tellEngine();
      }
      else if (budget) set({ budgetMode, lambda: budget.regions[region].lambdaFrom });
      else set({ budgetMode });
    },
    setLambda: (lambda) => {
      const { budget } = get();
      if (!budget) return;
      set({ lambda, region: regionForLambda(budget, lambda) });
      tellEngine();
    },
    refreshAfterOperatingPoint: () => {
      void get().loadTraces();
      void get().loadQe();
      // The table's plans in words and each cluster's winning candidate follow the served region.
      api.getRoutingTable().then((routingTable) => set({ routingTable }), (err: unknown) => set({ tuneError: describeError(err) }));
    },
    setBudgetCap: (budgetCap) => {
      const { budget } = get();
      if (!budget) return;
      set({ budgetCap, region: regionForBudget(budget, budgetCap) });
      tellEngine();
    },
  };
};
