import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractFinalAnswer, answerKindOf } from '../../../core/extract.js';
import { answersAgree, gradeExactMatch, gradeMultipleChoice, gradeNumeric, gradePythonLiteral, graderNameFor, outputLiteral, parseNumericAnswer } from '../../../core/graders.js';
import { parsePythonLiteral, pythonEquals } from '../../../core/python-literal.js';
import type { Query, RunLog } from '../../../core/runlog.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const sharedDir = join(repoRoot, '..', 'shared', 'data', 'zeroeval-gsm8k-crux');

describe('numeric answers', () => {
  it.each([
    ['18', 18],
    ['$1,080.00', 1080],
    ['18 dollars', 18],
    ['9 * 2 = 18', 18],
    ['$105 - $90 = $15', 15],
    ['60%', 60],
    ['3/4', 0.75],
    ['\\boxed{\\frac{1}{2}}', 0.5],
    ['-$4,875', -4875],
    ['no number here', null],
  ])('parses %j as %j', (text, value) => {
    expect(parseNumericAnswer(text)).toBe(value);
  });

  it('grades the JSON answer field, then the regex, then \\boxed, then the last number', () => {
    expect(gradeNumeric('```json\n{"reasoning": "9*2", "answer": "18"}\n```', '18')).toEqual({ correct: 1, answer: '18', method: 'json' });
    expect(gradeNumeric('{"reasoning": "uses \\(x\\)", "answer": "17"}', '18')).toMatchObject({ correct: 0, answer: '17', method: 'regex' });
    expect(gradeNumeric('so the total is \\boxed{1,234}', '1234')).toMatchObject({ correct: 1, method: 'boxed' });
    expect(gradeNumeric('I think 3 then 7', '7')).toMatchObject({ correct: 1, answer: '7', method: 'last-number' });
    expect(gradeNumeric('', '7')).toEqual({ correct: 0, answer: null, method: 'none' });
  });
});

describe('multiple choice and exact match', () => {
  it('compares choice letters', () => {
    expect(gradeMultipleChoice('{"answer": "(B) 12 apples"}', 'B').correct).toBe(1);
    expect(gradeMultipleChoice('The answer is (C).', 'B').correct).toBe(0);
    expect(gradeMultipleChoice('The answer is (C).', '(C)').correct).toBe(1);
    expect(gradeMultipleChoice('I cannot decide', 'A')).toMatchObject({ correct: 0, answer: null });
  });

  it('normalises case, quotes, back-ticks and whitespace', () => {
    expect(gradeExactMatch('{"answer": "`Hello  World.`"}', "'hello world'").correct).toBe(1);
    expect(gradeExactMatch('{"answer": "hello"}', 'world').correct).toBe(0);
  });

  it('reports whether a final answer exists and was well formed', () => {
    expect(extractFinalAnswer('gsm8k', '{"answer": 42}')).toEqual({ answer: '42', method: 'json', found: true, wellFormed: true });
    expect(extractFinalAnswer('cruxeval', 'no idea')).toEqual({ answer: null, method: 'none', found: false, wellFormed: false });
    expect(extractFinalAnswer('cruxeval', '{"answer": [1, "a", null]}').answer).toBe("[1, 'a', None]");
  });

  it('maps tasks to graders and checks answer agreement', () => {
    expect(answerKindOf('gsm8k')).toBe('numeric');
    expect(graderNameFor('mmlu-pro/law')).toBe('multiple-choice');
    expect(graderNameFor('cruxeval')).toBe('python-literal');
    expect(graderNameFor('trivia')).toBe('exact-match');
    expect(answersAgree('cruxeval', "{'a': 1, 'b': 2}", "{'b': 2, 'a': 1}")).toBe(true);
    expect(answersAgree('gsm8k', '$18.00', '18 dollars')).toBe(true);
    expect(answersAgree('gsm8k', '18', '19')).toBe(false);
    expect(answersAgree('gsm8k', null, '18')).toBe(false);
  });
});

describe('Python literals (CRUXEval)', () => {
  const eq = (a: string, b: string) => pythonEquals(parsePythonLiteral(a)!, parsePythonLiteral(b)!);
  it('follows Python ==', () => {
    expect(eq('8.50', '8.5')).toBe(true);
    expect(eq('1', 'True')).toBe(true);
    expect(eq("{'a': 1, 'b': [1, 2]}", '{"b": [1,2], "a": 1}')).toBe(true);
    expect(eq('[1, 2]', '(1, 2)')).toBe(false);
    expect(eq("'20'", '20')).toBe(false);
    expect(eq('{1, 2}', '{2, 1}')).toBe(true);
    expect(eq('(1,)', '1,')).toBe(true);
    expect(eq("'a\\nb'", '"a\\nb"')).toBe(true);
    expect(parsePythonLiteral('f(x)')).toBeNull();
    expect(parsePythonLiteral("'unterminated")).toBeNull();
  });

  it('reduces assert statements and grades like the CRUXEval labels', () => {
    expect(outputLiteral("assert f('ab') == 'ba'")).toBe("'ba'");
    expect(gradePythonLiteral('{"answer": "assert f([1]) == [1, 2]"}', '[1, 2]').correct).toBe(1);
    expect(gradePythonLiteral('{"answer": "123314"}', "'123314'").correct).toBe(1);
    expect(gradePythonLiteral('{"answer": " POO"}', "'POO'").correct).toBe(0);
    expect(gradePythonLiteral('{"answer": "\'20\'"}', '20').correct).toBe(0);
  });
});

describe('agreement with the recorded labels', () => {
  let log: RunLog;
  let refs: Map<string, Query>;
  beforeAll(async () => {
    log = await loadRunLog(sharedDir, { countTokens: false });
    refs = new Map(log.queries.map((q) => [q.qid, q]));
  });

  it('numeric grader on the raw GSM8K responses agrees with the shared labels on >= 99% of rows', () => {
    let n = 0;
    let agree = 0;
    for (const r of log.responses) {
      const q = refs.get(r.qid)!;
      if (q.task !== 'gsm8k') continue;
      n++;
      if (gradeNumeric(r.response, q.reference!).correct === r.correct) agree++;
    }
    expect(n).toBe(1319 * 18);
    expect(agree / n).toBeGreaterThanOrEqual(0.99);
  });

  it('extracts the same final answer as the recorded `answer` field on GSM8K', () => {
    const gsm = log.responses.filter((r) => refs.get(r.qid)!.task === 'gsm8k');
    const same = gsm.filter((r) => extractFinalAnswer('gsm8k', r.response).answer === r.answer).length;
    expect(same / gsm.length).toBeGreaterThanOrEqual(0.99);
  });

  it('exact match on CRUXEval agrees with the literal-comparison labels on most rows (informational)', () => {
    const crux = log.responses.filter((r) => refs.get(r.qid)!.task === 'cruxeval');
    const agree = crux.filter((r) => gradeExactMatch(r.response, refs.get(r.qid)!.reference!).correct === r.correct).length;
    expect(crux.length).toBe(800 * 18);
    expect(agree / crux.length).toBeGreaterThan(0.9);
  });

  it('the Python-literal grader agrees with the CRUXEval labels on >= 99% of rows', () => {
    const crux = log.responses.filter((r) => refs.get(r.qid)!.task === 'cruxeval');
    const agree = crux.filter((r) => gradePythonLiteral(r.response, refs.get(r.qid)!.reference!).correct === r.correct).length;
    expect(agree / crux.length).toBeGreaterThanOrEqual(0.99);
  });
});
