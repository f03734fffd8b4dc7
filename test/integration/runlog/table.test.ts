import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_COLUMN_MAP, formatColumnMap, parseColumnMap } from '../../../core/column-map.js';
import { ConflictError, DuplicatePairError, InvalidInputError, MalformedLineError, MissingColumnError } from '../../../core/errors.js';
import { buildWorkload } from '../../../core/workload.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';

const tmp = mkdtempSync(join(tmpdir(), 'cl-table-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function file(ext: string, text: string): string {
  const path = join(tmp, `t${n++}.${ext}`);
  writeFileSync(path, text);
  return path;
}
const fail = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);

const CSV = [
  'id,model_name,question,output,is_correct,tokens,usd,ttft,tpot,lat',
  'q1,small,"What is 2+2?",4,1,1,0.0001,20,5,25',
  'q1,large,"What is 2+2?",4,true,1,0.002,80,12,92',
  'q2,small,"Write a poem,\nwith a comma",roses,0,30,,,,',
  'q2,large,"Write a poem,\nwith a comma",,,,,,,',
  '',
].join('\n');
const COLUMNS = 'qid=id,model=model_name,prompt=question,response=output,correct=is_correct,output_tokens=tokens,costUsd=usd,ttft_ms=ttft,tpot_ms=tpot,latency_ms=lat';

describe('column map', () => {
  it('parses the CLI form, with snake or camel keys', () => {
    expect(parseColumnMap('qid=id, model=model_name,correct=is_correct,outputTokens=n')).toEqual({ qid: 'id', model: 'model_name', correct: 'is_correct', output_tokens: 'n' });
    expect(formatColumnMap({ ...DEFAULT_COLUMN_MAP, qid: 'id' })).toBe('qid=id');
  });

  it.each([['qid'], ['nope=x'], ['qid='], ['qid=a,qid=b']])('rejects %j with a clear error', (text) => {
    expect(() => parseColumnMap(text)).toThrow(InvalidInputError);
    expect(() => parseColumnMap(text)).toThrow(/--columns/);
  });
});

describe('CSV and JSONL tables', () => {
  it('reads a CSV with a column map; an empty correct cell is "not answered"', async () => {
    const log = await loadRunLog(file('csv', CSV), { columns: COLUMNS, task: 'mixed', countTokens: false });
    expect(log.queries).toEqual([
      { qid: 'q1', task: 'mixed', prompt: 'What is 2+2?', reference: null },
      { qid: 'q2', task: 'mixed', prompt: 'Write a poem,\nwith a comma', reference: null },
    ]);
    expect(log.models).toEqual(['small', 'large']);
    expect(log.responses).toHaveLength(3);
    expect(log.responses[1]).toEqual({ qid: 'q1', model: 'large', response: '4', answer: null, correct: 1, outputTokens: 1, costUsd: 0.002, ttftMs: 80, tpotMs: 12, latencyMs: 92 });
    expect(log.responses[2]).toEqual({ qid: 'q2', model: 'small', response: 'roses', answer: null, correct: 0, outputTokens: 30 });
    const w = buildWorkload(log);
    expect([...w.correct]).toEqual([1, 1, 0, -1]);
  });

  it('reads JSONL with the default map and fills token counts', async () => {
    const rows = [
      { qid: 7, model: 'm', prompt: 'p', response: 'r', correct: false, task: 'x', reference: 'y', answer: null },
      { qid: 7, model: 'n', prompt: 'p', response: 'r r', correct: null, task: 'x', reference: 'y' },
    ];
    const log = await loadRunLog(file('jsonl', rows.map((r) => JSON.stringify(r)).join('\n')));
    expect(log.queries).toEqual([{ qid: '7', task: 'x', prompt: 'p', reference: 'y', promptTokens: 1 }]);
    expect(log.responses).toEqual([{ qid: '7', model: 'm', response: 'r', answer: null, correct: 0, outputTokens: 1 }]);
    expect(log.models).toEqual(['m', 'n']);
    expect(log.tokensApproximate).toBe(true);
  });

  it('names the missing column of a CSV header', async () => {
    const err = await fail(loadRunLog(file('csv', 'qid,model,prompt,response\nq,m,p,r\n')));
    expect(err).toBeInstanceOf(MissingColumnError);
    expect(String(err)).toMatch(/t\d+\.csv:1: missing column "correct"/);
  });

  it('names the missing field of a JSONL line', async () => {
    const err = await fail(loadRunLog(file('jsonl', '{"qid":"a","model":"m","prompt":"p","response":"r","correct":1}\n{"qid":"b","model":"m","prompt":"p","correct":1}\n')));
    expect(err).toBeInstanceOf(MissingColumnError);
    expect(String(err)).toMatch(/\.jsonl:2: missing field "response"/);
  });

  it('names file, line, field and column of a bad cell, counting lines inside quoted cells', async () => {
    const text = CSV.replace('q2,large,"Write a poem,\nwith a comma",,,,,,,', 'q2,large,"Write a poem,\nwith a comma",x,maybe,,,,,');
    const err = await fail(loadRunLog(file('csv', text), { columns: COLUMNS }));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(String(err)).toMatch(/\.csv:6: field "correct" \(column "is_correct"\): expected 0, 1, true, false/);
    const neg = await fail(loadRunLog(file('csv', CSV.replace(',1,0.0001,', ',-3,0.0001,')), { columns: COLUMNS }));
    expect(String(neg)).toMatch(/\.csv:2: field "output_tokens" \(column "tokens"\): expected a non-negative integer, got "-3"/);
  });

  it('rejects a row whose cell count differs from the header', async () => {
    const err = await fail(loadRunLog(file('csv', 'qid,model,prompt,response,correct\nq,m,p,r,1,extra\n')));
    expect(err).toBeInstanceOf(MalformedLineError);
    expect(String(err)).toMatch(/\.csv:2: row has 6 cells, the header has 5/);
  });

  it('rejects a duplicate (query, model) pair and a query whose prompt changes', async () => {
    const dup = await fail(loadRunLog(file('csv', 'qid,model,prompt,response,correct\nq,m,p,r,1\nq,n,p,r,1\nq,m,p,r,0\n')));
    expect(dup).toBeInstanceOf(DuplicatePairError);
    expect(String(dup)).toMatch(/\.csv:4: .*\("q", "m"\), first on line 2/);
    const changed = await fail(loadRunLog(file('csv', 'qid,model,prompt,response,correct\nq,m,p,r,1\nq,n,other,r,1\n')));
    expect(changed).toBeInstanceOf(ConflictError);
    expect(String(changed)).toMatch(/\.csv:3: field "prompt"/);
  });

  it('rejects a malformed JSONL line', async () => {
    const err = await fail(loadRunLog(file('jsonl', '{"qid":"a","model":"m","prompt":"p","response":"r","correct":1}\n{oops\n')));
    expect(err).toBeInstanceOf(MalformedLineError);
    expect(String(err)).toContain('.jsonl:2');
  });

  it('rejects an unknown file type', async () => {
    await expect(loadRunLog(file('xlsx', ''))).rejects.toThrow(/unknown run-log file type/);
  });
});
