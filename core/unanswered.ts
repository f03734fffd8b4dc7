import type { RunLog } from './runlog.js';

/** Why cells have no response, for a cell with no response and no recorded reason. */
export const NO_REASON_RECORDED = 'no response recorded';

/** One model's unanswered cells: how many, and how many for each reason. */
export interface UnansweredTally {
  model: string;
  unanswered: number;
  byReason: Record<string, number>;
}

/**
 * Per model of the log, the (query, model) cells without a graded response and their reasons
 * (the log's `unanswered` entries; `NO_REASON_RECORDED` for the rest). Models every query
 * answered are left out, so an empty list means a full log.
 */
export function unansweredByModel(log: RunLog): UnansweredTally[] {
  const answered = new Map<string, Set<string>>(log.models.map((m) => [m, new Set()]));
  for (const r of log.responses) answered.get(r.model)?.add(r.qid);
  const reasons = new Map<string, string>();
  for (const u of log.unanswered ?? []) reasons.set(`${u.qid}\u0000${u.model}`, u.reason);
  const tallies: UnansweredTally[] = [];
  for (const model of log.models) {
    const byReason: Record<string, number> = {};
    let unanswered = 0;
    for (const q of log.queries) {
      if (answered.get(model)!.has(q.qid)) continue;
      const reason = reasons.get(`${q.qid}\u0000${model}`) ?? NO_REASON_RECORDED;
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      unanswered++;
    }
    if (unanswered > 0) tallies.push({ model, unanswered, byReason });
  }
  return tallies;
}

/** `context_length 14, empty 2`: a tally's reasons, most frequent first. */
export function formatReasons(byReason: Record<string, number>): string {
  return Object.entries(byReason).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([reason, n]) => `${reason} ${n}`).join(', ');
}
