import type { AppClient, BudgetView, OperatingPoint, RoutingTable, TuneReport } from '../../core/app-api.js';
import type { LambdaRegion } from '../../core/routing.js';
import { regionForBudget, regionForLambda, toLambdaRegions } from './operating-point.js';
import { describeError, type SliceCreator } from './types.js';

export type BudgetMode = 'lambda' | 'budget';

export interface TuningSlice {
  requestedK: number | 'auto';
  tune: TuneReport | null;
  tuning: boolean;
  tuneError: string | null;
  budget: BudgetView | null;
  /** `budget.regions` in the core's shape, for the slider's lookups. */
  regions: LambdaRegion[];
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
    regions: [],
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
        const regions = toLambdaRegions(budget);
        const lambda = budget.current.lambda;
        set({
          budget,
          routingTable,
          regions,
          lambda,
          budgetCap: budget.current.budget ?? budget.regions[budget.current.region].expectedCost,
          region: regionForLambda(regions, lambda),
          enginePoint: budget.current,
        });
      } catch (err) {
        set({ tuneError: describeError(err) });
      }
      await Promise.all([get().loadClusterMap(), get().loadQe(), get().loadTraces()]);
    },
    clearTuned: () => {
      clearTimeout(settleTimer);
      set({ tune: null, budget: null, regions: [], routingTable: null, enginePoint: null, clusterMap: null, qe: null, tracePage: null, traceDetail: null });
    },
    setBudgetMode: (budgetMode) => {
      const { budget, region } = get();
      // Switching keeps the same operating point: the cap starts at the current region's expected cost, the figure a budget is matched against.
      if (budget && budgetMode === 'budget') set({ budgetMode, budgetCap: budget.regions[region].expectedCost });
      else if (budget) set({ budgetMode, lambda: budget.regions[region].lambdaFrom });
      else set({ budgetMode });
    },
    setLambda: (lambda) => {
      const { regions } = get();
      if (regions.length === 0) return;
      set({ lambda, region: regionForLambda(regions, lambda) });
      tellEngine();
    },
    refreshAfterOperatingPoint: () => {
      void get().loadTraces();
      void get().loadQe();
    },
    setBudgetCap: (budgetCap) => {
      const { regions } = get();
      if (regions.length === 0) return;
      set({ budgetCap, region: regionForBudget(regions, budgetCap) });
      tellEngine();
    },
  };
};
