import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradeExactMatch, gradeMultipleChoice, gradeNumeric } from '../../../core/graders.js';
import type { RunLog } from '../../../core/runlog.js';
import { buildWorkload } from '../../../core/workload.js';
import { SIMULATED_DIR, makeSimulated } from '../../../fixtures/make-simulated.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';

describe('the simulated default workspace', () => {
  let log: RunLog;
  beforeAll(async () => {
    log = await loadRunLog(SIMULATED_DIR);
  });

  it('regenerates byte for byte from its seed', async () => {
    const files = await makeSimulated();
    expect([...files.keys()].sort()).toEqual(readdirSync(SIMULATED_DIR).sort());
    for (const [name, bytes] of files) expect(bytes.equals(readFileSync(join(SIMULATED_DIR, name))), name).toBe(true);
  });

  it('is small, says it is simulated, and loads as a complete run log', () => {
    const total = readdirSync(SIMULATED_DIR).reduce((s, f) => s + statSync(join(SIMULATED_DIR, f)).size, 0);
    expect(total).toBeLessThan(400_000);
    expect(readFileSync(join(SIMULATED_DIR, 'README.md'), 'utf8')).toMatch(/SIMULATED/);
    expect(log.queries).toHaveLength(600);
    expect(log.models).toHaveLength(6);
    expect(log.responses).toHaveLength(3600);
    expect(new Set(log.queries.map((q) => q.task))).toEqual(new Set(['math', 'code', 'science']));
    expect(Object.keys(log.prices).sort()).toEqual([...log.models].sort());
    expect(log.tokensApproximate).toBe(false);
    expect(log.responses.every((r) => r.outputTokens! > 0 && r.ttftMs! > 0 && r.tpotMs! > 0 && r.latencyMs! >= r.ttftMs!)).toBe(true);
  });

  it('labels every response as the task grader does, and every response has a final answer', () => {
    const graders = { math: gradeNumeric, code: gradeExactMatch, science: gradeMultipleChoice } as Record<string, typeof gradeNumeric>;
    const byQid = new Map(log.queries.map((q) => [q.qid, q]));
    for (const r of log.responses) {
      const q = byQid.get(r.qid)!;
      const g = graders[q.task](r.response, q.reference!);
      expect(g.correct, `${r.qid} ${r.model}`).toBe(r.correct);
      expect(g.method).toBe('json');
    }
  });

  it('orders models from cheap, fast and weak to expensive, slow and strong, with a specialist to route to', () => {
    const w = buildWorkload(log);
    const acc = (model: string, task: string) => {
      const m = w.models.indexOf(model);
      let right = 0;
      let n = 0;
      w.tasks.forEach((t, q) => {
        if (t !== task) return;
        right += w.correct[q * w.models.length + m];
        n++;
      });
      return right / n;
    };
    const mean = (model: string) => (acc(model, 'math') + acc(model, 'code') + acc(model, 'science')) / 3;
    expect(mean('sim-tiny-1b')).toBeLessThan(mean('sim-medium-70b'));
    expect(mean('sim-medium-70b')).toBeLessThan(mean('sim-frontier'));
    expect(log.prices['sim-tiny-1b'].usdPerMtokOut).toBeLessThan(log.prices['sim-frontier'].usdPerMtokOut);
    // the code specialist beats the much dearer 405B on code but loses to the small model on facts
    expect(acc('sim-coder-15b', 'code')).toBeGreaterThan(acc('sim-large-405b', 'code'));
    expect(acc('sim-coder-15b', 'science')).toBeLessThan(acc('sim-small-8b', 'science'));
  });
});
