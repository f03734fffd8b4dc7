import type { TraceDetail, TraceFilter, TracePage, TraceRow } from '../app-api.js';
import { describePlan, firstQeThreshold, planModels, type ClusterPlan } from '../cascade/plan.js';
import { explainQuery } from '../cascade/explain.js';
import { compositionOf } from '../cascade/simulate.js';
import type { AnswerKind } from '../extract.js';
import { cellIndex } from '../workload.js';
import { finiteOrNull, type TunedState } from './tuned-state.js';

/** A query as the served region's plan (one model, a cascade or agree-or-escalate) handles it, replayed on the run log's answers. */
export function traceRow(t: TunedState, q: number): TraceRow {
  const cluster = t.clusterOf[q];
  const plan: ClusterPlan = t.config.regions[t.region].plans[cluster];
  const first = planModels(plan)[0];
  const m = t.w.models.indexOf(first);
  const answered = m >= 0 && t.w.correct[cellIndex(t.w, q, m)] !== -1;
  const threshold = firstQeThreshold(plan);
  const explained = explainQuery(q, plan, t.config.cascade?.caps ?? { maxEscalations: 0, maxTotalTokens: null }, {
    w: t.w, rows: [q], clusterOf: t.clusterOf, cost: t.cost, composition: compositionOf(t.config.cost.metric),
    score: t.score ?? (() => Number.NaN), answerKinds: (t.config.cascade?.answerKinds ?? []) as AnswerKind[],
  });
  const { outcome } = explained;
  return {
    qid: t.w.qids[q], task: t.w.tasks[q], cluster, stage1Model: first,
    qeScore: answered && threshold !== null && t.score ? t.score(q, m) : null,
    threshold,
    escalated: outcome.escalations > 0,
    finalModel: t.w.models[outcome.finalModel],
    correct: outcome.correct === -1 ? null : outcome.correct === 1,
    cost: finiteOrNull(outcome.cost),
    plan: describePlan(plan),
    planKind: explained.planKind, partner: explained.partner, passes: explained.passes, reason: explained.reason, rule: explained.rule,
  };
}

/** Test queries under the current operating point, filtered and paged. */
export function listTraces(t: TunedState, f: TraceFilter): TracePage {
  const search = f.search?.toLowerCase();
  const rows: TraceRow[] = [];
  for (const q of t.testRows) {
    const row = traceRow(t, q);
    if (f.cluster !== undefined && row.cluster !== f.cluster) continue;
    if (f.model !== undefined && row.stage1Model !== f.model && row.finalModel !== f.model) continue;
    if (f.escalated !== undefined && row.escalated !== f.escalated) continue;
    if (f.correct !== undefined && row.correct !== f.correct) continue;
    if (f.task !== undefined && row.task !== f.task) continue;
    if (search && !row.qid.toLowerCase().includes(search) && !t.w.prompts[q].toLowerCase().includes(search)) continue;
    rows.push(row);
  }
  const offset = f.offset ?? 0;
  return { total: rows.length, offset, rows: rows.slice(offset, offset + (f.limit ?? 100)) };
}

/** One query with every model's answer, or null when the qid is not in the workspace. */
export function traceDetail(t: TunedState, qid: string): TraceDetail | null {
  const q = t.w.qids.indexOf(qid);
  if (q < 0) return null;
  return {
    row: traceRow(t, q),
    prompt: t.w.prompts[q],
    reference: t.w.references[q],
    answers: t.w.models.map((model, m) => {
      const i = cellIndex(t.w, q, m);
      const r = t.w.responses[i];
      const v = t.w.correct[i];
      return {
        model,
        response: r?.response ?? null,
        answer: r?.answer ?? null,
        correct: v === -1 ? null : v === 1,
        cost: finiteOrNull(t.cost[i]),
        outputTokens: finiteOrNull(t.w.outputTokens[i]),
        qeScore: t.score && r ? t.score(q, m) : null,
      };
    }),
  };
}
