import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ConflictError, DuplicatePairError, InvalidInputError, MalformedLineError, UnknownQueryError } from '../../../core/errors.js';
import { joinRunLogs } from '../../../core/runlog.js';
import { NO_REASON_RECORDED, unansweredByModel } from '../../../core/unanswered.js';
import { buildWorkload } from '../../../core/workload.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const sharedDir = join(repoRoot, '..', 'shared', 'data', 'zeroeval-gsm8k-crux');
const tmp = mkdtempSync(join(tmpdir(), 'cl-shared-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const q = (qid: string, extra: object = {}) => ({ qid, task: 't', prompt: `prompt ${qid}`, reference: '1', ...extra });
const r = (qid: string, model: string, extra: object = {}) => ({ qid, model, response: 'answer 1', answer: '1', correct: 1, ...extra });
const lines = (rows: unknown[]) => rows.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n') + '\n';

let n = 0;
function folder(questions: unknown[], responses: unknown[], gz = false): string {
  const dir = join(tmp, `f${n++}`);
  const write = (name: string, text: string) => writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(text) : text);
  mkdirSync(dir, { recursive: true });
  write('questions.jsonl', lines(questions));
  write('responses.jsonl', lines(responses));
  return dir;
}

describe('shared data folder format', () => {
  it('loads the recorded ZeroEval run log with tokens and prices', async () => {
    const log = await loadRunLog(sharedDir);
    expect(log.queries).toHaveLength(2119);
    expect(log.models).toHaveLength(18);
    expect(log.responses).toHaveLength(38142);
    expect(Object.keys(log.prices)).toHaveLength(18);
    expect(log.tokensApproximate).toBe(false);
    expect(log.queries[0]).toMatchObject({ qid: 'gsm8k/0', task: 'gsm8k', reference: '18', promptTokens: 141 });
    expect(log.sources[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads gzip and plain files alike, and a missing response is "not answered", not wrong', async () => {
    const dir = folder([q('a'), q('b')], [r('a', 'm1'), r('b', 'm1', { correct: 0 }), r('a', 'm2')], true);
    const log = await loadRunLog(dir, { countTokens: false });
    const w = buildWorkload(log);
    expect(w.models).toEqual(['m1', 'm2']);
    expect([...w.correct]).toEqual([1, 1, 0, -1]);
  });

  it('reads a line with correct: null as "not answered" and keeps its unanswered_reason', async () => {
    const dir = folder([q('a'), q('b'), q('c')], [
      r('a', 'm1'), r('b', 'm1', { response: '', answer: null, correct: null, unanswered_reason: 'context_length' }), r('c', 'm1', { correct: null }),
      r('a', 'm2'), r('b', 'm2'),
    ]);
    const log = await loadRunLog(dir, { countTokens: false });
    expect(log.responses.map((x) => `${x.qid}/${x.model}`)).toEqual(['a/m1', 'a/m2', 'b/m2']);
    expect(log.unanswered).toEqual([{ qid: 'b', model: 'm1', reason: 'context_length' }, { qid: 'c', model: 'm1', reason: NO_REASON_RECORDED }]);
    expect([...buildWorkload(log).correct]).toEqual([1, 1, -1, 1, -1, -1]);
    expect(unansweredByModel(log)).toEqual([
      { model: 'm1', unanswered: 2, byReason: { context_length: 1, [NO_REASON_RECORDED]: 1 } },
      { model: 'm2', unanswered: 1, byReason: { [NO_REASON_RECORDED]: 1 } },
    ]);
    // Joined with another log, the reasons of both are kept.
    const other = await loadRunLog(folder([q('a')], [r('a', 'm3', { correct: null, unanswered_reason: 'empty' })]), { countTokens: false });
    expect(joinRunLogs([log, other]).unanswered).toEqual([...log.unanswered!, { qid: 'a', model: 'm3', reason: 'empty' }]);
    expect(joinRunLogs([log, other]).models).toEqual(['m1', 'm2', 'm3']);
    // A null-correct line still counts as the pair's one line.
    const twice = await loadRunLog(folder([q('a')], [r('a', 'm1', { correct: null }), r('a', 'm1')])).catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(DuplicatePairError);
    const reasonOnAnswer = await loadRunLog(folder([q('a')], [r('a', 'm1', { unanswered_reason: 'empty' })])).catch((e: unknown) => e);
    expect(String(reasonOnAnswer)).toMatch(/responses\.jsonl:1: field "unanswered_reason": given for an answered line/);
  });

  it('names file, line and field of a malformed line', async () => {
    const dir = folder([q('a'), '{"qid": "b", '], []);
    const err = await loadRunLog(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedLineError);
    expect(String(err)).toContain('questions.jsonl:2');
  });

  it('names the field that fails validation', async () => {
    const dir = folder([q('a')], [r('a', 'm1'), r('a', 'm2', { correct: 'yes' })]);
    const err = await loadRunLog(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(String(err)).toMatch(/responses\.jsonl:2: field "correct"/);
    const { response: _r, ...noResponse } = r('a', 'm2');
    const missing = await loadRunLog(folder([q('a')], [r('a', 'm1'), noResponse])).catch((e: unknown) => e);
    expect(String(missing)).toMatch(/responses\.jsonl:2: field "response"/);
  });

  it('rejects a response for an unknown query', async () => {
    const dir = folder([q('a')], [r('a', 'm1'), r('zzz', 'm1')]);
    const err = await loadRunLog(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownQueryError);
    expect(String(err)).toMatch(/responses\.jsonl:2: field "qid".*"zzz"/);
  });

  it('rejects a duplicate (query, model) pair and a duplicate query', async () => {
    const dup = await loadRunLog(folder([q('a')], [r('a', 'm1'), r('a', 'm2'), r('a', 'm1')])).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(DuplicatePairError);
    expect(String(dup)).toMatch(/responses\.jsonl:3: field "model".*first on line 1/);
    const dupQ = await loadRunLog(folder([q('a'), q('a')], [])).catch((e: unknown) => e);
    expect(dupQ).toBeInstanceOf(ConflictError);
    expect(String(dupQ)).toContain('questions.jsonl:2');
  });

  it('fills missing token counts with o200k_base and marks them approximate', async () => {
    const dir = folder([q('a', { prompt: 'Hello world' })], [r('a', 'm1')]);
    const log = await loadRunLog(dir);
    expect(log.tokensApproximate).toBe(true);
    expect(log.queries[0].promptTokens).toBe(2);
    expect(log.responses[0].outputTokens).toBe(3); // 'answer', ' ', '1': o200k splits digits from spaces
    expect((await loadRunLog(dir, { countTokens: false })).tokensApproximate).toBe(false);
  });
});
