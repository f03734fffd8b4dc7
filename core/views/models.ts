import type { WorkspaceInfo } from '../app-api.js';
import type { UnansweredTally } from '../unanswered.js';
import { cellIndex, type Workload } from '../workload.js';

/**
 * Each model's figures over the whole workload: how many queries it answered, its accuracy
 * among those, its mean cost per answered query (null where `cost` is, or any answered cell's
 * cost is unknown), and its unanswered queries with their reasons.
 */
export function modelSummaries(w: Workload, cost: Float64Array | null, unanswered: ReadonlyMap<string, UnansweredTally>): WorkspaceInfo['models'] {
  return w.models.map((model, m) => {
    let answered = 0;
    let right = 0;
    let spend = 0;
    for (let q = 0; q < w.qids.length; q++) {
      const i = cellIndex(w, q, m);
      const v = w.correct[i];
      if (v === -1) continue;
      answered++;
      right += v;
      if (cost) spend += cost[i];
    }
    return {
      model, answered, accuracy: answered ? right / answered : null, meanCost: answered && cost && Number.isFinite(spend) ? spend / answered : null,
      unanswered: w.qids.length - answered, unansweredReasons: unanswered.get(model)?.byReason ?? {},
    };
  });
}
