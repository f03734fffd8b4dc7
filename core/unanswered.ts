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
  // Counts, not sets: a run log holds each (query, model) pair at most once (the readers check it).
  const answered = new Map<string, number>();
  for (const r of log.responses) answered.set(r.model, (answered.get(r.model) ?? 0) + 1);
  const reasons = new Map<string, Record<string, number>>();
  for (const u of log.unanswered ?? []) {
    const byReason = reasons.get(u.model) ?? {};
    byReason[u.reason] = (byReason[u.reason] ?? 0) + 1;
    reasons.set(u.model, byReason);
  }
  const tallies: UnansweredTally[] = [];
  for (const model of log.models) {
    const unanswered = log.queries.length - (answered.get(model) ?? 0);
    if (unanswered <= 0) continue;
    const byReason = { ...reasons.get(model) };
    const unexplained = unanswered - Object.values(byReason).reduce((a, n) => a + n, 0);
    if (unexplained > 0) byReason[NO_REASON_RECORDED] = unexplained;
    tallies.push({ model, unanswered, byReason });
  }
  return tallies;
}

/** `context_length 14, empty 2`: a tally's reasons, most frequent first. */
export function formatReasons(byReason: Record<string, number>): string {
  return Object.entries(byReason).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([reason, n]) => `${reason} ${n}`).join(', ');
}
