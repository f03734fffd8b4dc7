// The app's views computed in core from a tune's state, on a small synthetic run log tuned for
// real: traces replay the served plans and must add up to the report's own system figures.
import { beforeAll, describe, expect, it } from 'vitest';
import { embedAll, tune } from '../../../core/tune.js';
import { BuiltinEmbedder } from '../../../core/embed/tfidf.js';
import { costMatrix } from '../../../core/cost.js';
import { InvalidInputError } from '../../../core/errors.js';
import { mulberry32 } from '../../../core/rng.js';
import type { RunLog } from '../../../core/runlog.js';
import { buildWorkload, cellIndex } from '../../../core/workload.js';
import { budgetView } from '../../../core/views/budget.js';
import { qeView, scoreHistogram } from '../../../core/views/qe.js';
import { clusterMap, routingTable } from '../../../core/views/routing.js';
import { listTraces, traceDetail } from '../../../core/views/traces.js';
import { moveOperatingPoint, operatingPoint, overrideQeThreshold, tunedState, type TunedState } from '../../../core/views/tuned-state.js';
import { reportCsv, tuneReport } from '../../../core/views/tune-report.js';

/** 240 queries of two tasks; a cheap model good at trivia only, a mid one, a dear one good at both. */
function syntheticLog(): RunLog {
  const rand = mulberry32(1);
  const models = ['small', 'mid', 'large'];
  const skill: Record<string, Record<string, number>> = { math: { small: 0.3, mid: 0.7, large: 0.95 }, trivia: { small: 0.8, mid: 0.85, large: 0.9 } };
  const words: Record<string, string[]> = { math: ['sum', 'add', 'multiply', 'divide', 'number', 'equation', 'solve'], trivia: ['capital', 'country', 'river', 'author', 'novel', 'painter', 'city'] };
  const log: RunLog = {
    queries: [], models, responses: [], sources: [{ path: 'synthetic', sha256: '0' }], tokensApproximate: false,
    prices: { small: { usdPerMtokIn: 0.1, usdPerMtokOut: 0.2 }, mid: { usdPerMtokIn: 1, usdPerMtokOut: 2 }, large: { usdPerMtokIn: 10, usdPerMtokOut: 20 } },
  };
  for (let i = 0; i < 240; i++) {
    const task = i % 2 ? 'math' : 'trivia';
    const prompt = `${Array.from({ length: 8 }, () => words[task][Math.floor(rand() * 7)]).join(' ')} ${i}`;
    log.queries.push({ qid: `q${i}`, task, prompt, reference: String(i % 7), promptTokens: 30 });
    for (const model of models) {
      const correct = rand() < skill[task][model] ? 1 : 0;
      const answer = String((i % 7) + 1 - correct);
      log.responses.push({ qid: `q${i}`, model, response: `${correct ? 'The answer is' : 'maybe it is'} ${answer}`, answer, correct, outputTokens: 20 + (i % 5) });
    }
  }
  return log;
}

let t: TunedState;
beforeAll(async () => {
  const log = syntheticLog();
  const { config, report } = await tune(log, { k: 2, bootstrapSamples: 50, restarts: 1 });
  const w = buildWorkload(log);
  const embeddings = await embedAll(BuiltinEmbedder.fromState(config.embedder.state!), w.prompts, () => undefined);
  t = tunedState({ config, report, kMode: 'fixed', durationMs: 0, fromCache: false, simulated: true, dataSet: 'synthetic', candidates: null, w, embeddings, cost: costMatrix(w, config.cost.metric, { prices: log.prices, perModel: {} }) });
}, 60_000);

const allTraces = (s: TunedState) => listTraces(s, { limit: Number.MAX_SAFE_INTEGER }).rows;

describe('the state a tune leaves for the views', () => {
  it('splits and labels every row as the config does, starting at its operating point', () => {
    expect(t.config.cascade).not.toBeNull();
    expect(t.testRows.length).toBe(t.report.split.test);
    expect(t.testRows.every((q) => t.isTest[q] === 1)).toBe(true);
    expect(t.clusterOf.length).toBe(t.w.qids.length);
    expect(t.region).toBe(t.config.operatingPoint.region);
    expect(operatingPoint(t)).toMatchObject({ region: t.region, manualOverride: false, accuracy: t.report.frontier[t.region].accuracy });
  });

  it('refuses a config that routes to a model the workload lacks', () => {
    const config = { ...t.config, pool: [...t.config.pool, { ...t.config.pool[0], model: 'absent' }] };
    expect(() => tunedState({ ...t, config })).toThrow(InvalidInputError);
  });
});

describe('trace simulation', () => {
  it('adds up to the report\'s figures of the served system on the test split', () => {
    const rows = allTraces(t);
    expect(rows.length).toBe(t.testRows.length);
    const n = rows.length;
    expect(rows.filter((r) => r.correct).length / n).toBeCloseTo(t.report.system.accuracy, 12);
    expect(rows.reduce((s, r) => s + r.cost!, 0) / n).toBeCloseTo(t.report.system.cost, 12);
    expect(rows.filter((r) => r.escalated).length / n).toBeCloseTo(t.report.system.escalationRate, 12);
  });

  it('names the plan of the trace\'s cluster and filters and pages consistently', () => {
    const rows = allTraces(t);
    for (const r of rows) expect(r.stage1Model).toBe(operatingPoint(t).routing[r.cluster]);
    const escalated = listTraces(t, { escalated: true }).total;
    expect(escalated + listTraces(t, { escalated: false }).total).toBe(rows.length);
    const page = listTraces(t, { offset: 5, limit: 3 });
    expect(page.rows.map((r) => r.qid)).toEqual(rows.slice(5, 8).map((r) => r.qid));
    expect(listTraces(t, { search: rows[0].qid.toUpperCase() }).rows.map((r) => r.qid)).toContain(rows[0].qid);
  });

  it('details one query with every model\'s answer, and nothing for an unknown qid', () => {
    const q = t.testRows[0];
    const detail = traceDetail(t, t.w.qids[q])!;
    expect(detail.answers.map((a) => a.model)).toEqual(t.w.models);
    expect(detail.answers.map((a) => a.correct)).toEqual(t.w.models.map((_, m) => t.w.correct[cellIndex(t.w, q, m)] === 1));
    expect(traceDetail(t, 'no-such-query')).toBeNull();
  });
});

describe('QE view', () => {
  it('histograms every answered test cell of each ladder model, right and wrong apart', () => {
    const view = qeView(t)!;
    expect(view.models.map((m) => m.model)).toEqual(t.config.cascade!.ladder);
    for (const mv of view.models) {
      const m = t.w.models.indexOf(mv.model);
      const right = t.testRows.filter((q) => t.w.correct[cellIndex(t.w, q, m)] === 1).length;
      const wrong = t.testRows.filter((q) => t.w.correct[cellIndex(t.w, q, m)] === 0).length;
      expect(mv.histogram.correct.reduce((a, b) => a + b, 0)).toBe(right);
      expect(mv.histogram.incorrect.reduce((a, b) => a + b, 0)).toBe(wrong);
      expect(mv.reliability.reduce((a, b) => a + b.count, 0)).toBe(right + wrong);
    }
  });

  it('bins scores on [0, 1] with 1 in the last bin', () => {
    const h = scoreHistogram([0, 0.49, 0.5, 1, 1], [1, 0, 1, 1, 0], 4);
    expect(h.edges).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(h.correct).toEqual([1, 0, 1, 1]);
    expect(h.incorrect).toEqual([0, 1, 0, 1]);
  });

  it('a hand-set threshold of 1 escalates every thresholded query scored below 1, until the operating point moves', () => {
    const s: TunedState = { ...t };
    const model = t.config.cascade!.ladder.find((m) => overrideQeThreshold({ ...t }, 1, m) > 0)!;
    const before = allTraces(s).filter((r) => r.stage1Model === model && r.threshold !== null);
    expect(overrideQeThreshold(s, 1, model)).toBeGreaterThan(0);
    expect(s.manualOverride).toBe(true);
    const after = allTraces(s).filter((r) => r.stage1Model === model && r.threshold !== null);
    expect(after.length).toBe(before.length);
    // Only a score of exactly 1 (calibration saturates) still keeps the first answer.
    expect(after.every((r) => r.threshold === 1 && r.escalated === r.qeScore! < 1)).toBe(true);
    expect(after.filter((r) => r.escalated).length).toBeGreaterThan(before.filter((r) => r.escalated).length);
    expect(s.report.system.escalationRate).toBeGreaterThanOrEqual(t.report.system.escalationRate);
    expect(overrideQeThreshold(s, 0.5, 'no-such-model')).toBe(0);
    // Moving, even within the same region, serves the tuned plans again.
    moveOperatingPoint(s, { lambda: s.lambda });
    expect(s.manualOverride).toBe(false);
    expect(s.config.regions).toEqual(t.config.regions);
    const { accuracy, cost, escalationRate } = t.report.frontier[s.region];
    expect(s.report.system).toMatchObject({ accuracy, cost, escalationRate });
  });
});

describe('summaries', () => {
  it('the budget view lists every region and the current one', () => {
    const view = budgetView(t);
    expect(view.regions.length).toBe(t.config.regions.length);
    expect(view.current).toEqual(operatingPoint(t));
  });

  it('the routing table counts each cluster\'s train queries by task', () => {
    const table = routingTable(t);
    for (const c of table.clusters) {
      const train = t.w.qids.filter((_, q) => t.clusterOf[q] === c.cluster && !t.isTest[q]).length;
      expect(c.tasks.reduce((a, x) => a + x.queries, 0)).toBe(train);
    }
  });

  it('the cluster map places every row and labels its split', () => {
    const xy = Float64Array.from({ length: t.w.qids.length * 2 }, (_, i) => i);
    const map = clusterMap(t, 'pca', xy);
    expect(map.points.length).toBe(t.w.qids.length);
    expect(map.points.filter((p) => p.split === 'test').length).toBe(t.testRows.length);
    expect(map.points[3]).toMatchObject({ x: 6, y: 7, cluster: t.clusterOf[3] });
  });

  it('the report CSV starts with its provenance, has one row per evaluated policy, names the cost unit and quotes text that needs it', () => {
    const report = tuneReport(t);
    const lines = reportCsv(report).trimEnd().split('\n');
    const comments = lines.filter((l) => l.startsWith('#'));
    expect(comments).toContain(`# config: ${report.configId}`);
    expect(comments).toContain('# data set: synthetic');
    expect(comments.some((l) => /SIMULATED/.test(l))).toBe(true);
    const table = lines.slice(comments.length);
    expect(table[0]).toMatch(/^policy,accuracy,cost_per_query_\w+,retention,cost_reduction,escalation_rate$/);
    expect(table.length).toBe(report.evaluation.length + 1);
    const csv = reportCsv({ costUnit: 'USD / query', dataSet: 'd', configId: 'c', simulated: false, testQueries: 1, evaluation: [{ policy: 'single:a "b", c', accuracy: 0.5, costPerQuery: 2, retention: null, costReduction: null, escalationRate: 0 }] });
    expect(csv.split('\n').filter((l) => !l.startsWith('#')).join('\n')).toBe('policy,accuracy,cost_per_query_USD_query,retention,cost_reduction,escalation_rate\n"single:a ""b"", c",0.5,2,,,0\n');
  });
});
