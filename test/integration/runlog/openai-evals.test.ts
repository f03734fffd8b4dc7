import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuplicatePairError, InvalidInputError } from '../../../core/errors.js';
import { detectRunLogFormat, loadRunLog } from '../../../native-models/runlog/load.js';
import { o200kCounter } from '../../../native-models/tokenizer.js';

// Files in the shape `oaieval COMPLETION_FN EVAL --record_path FILE` writes: a spec line, a
// final_report line, then sampling and match events tied to their sample by sample_id.
const tmp = mkdtempSync(join(tmpdir(), 'cl-oaievals-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CAPITALS = [['France', 'Paris'], ['Japan', 'Tokyo'], ['Kenya', 'Nairobi']];

function record(model: string, answers: (string | null)[], options: { chat?: boolean; usage?: boolean } = {}): string {
  const runId = `2406011200${model.length}ABCDEF`;
  const lines: object[] = [
    { spec: { completion_fns: [model], eval_name: 'capitals.dev.v0', base_eval: 'capitals', split: 'dev', run_config: { completion_fns: [model], eval_spec: { cls: 'evals.elsuite.basic.match:Match', args: { samples_jsonl: 'capitals/samples.jsonl' }, key: 'capitals.dev.v0', group: 'capitals' }, seed: 20220722, max_samples: null }, created_by: '', run_id: runId, created_at: '2024-06-01 12:00:00.000000' } },
    { final_report: { accuracy: answers.filter((a, i) => a === CAPITALS[i][1]).length / answers.length } },
  ];
  let event = 0;
  answers.forEach((sampled, i) => {
    if (sampled === null) return;
    const [country, capital] = CAPITALS[i];
    const text = `What is the capital of ${country}?`;
    const prompt = options.chat ? [{ role: 'system', content: 'Answer with the city only.' }, { role: 'user', content: text }] : `Answer with the city only.\nUser: ${text}\nAssistant: `;
    const sample_id = `capitals.dev.${i}`;
    const meta = { created_by: '', created_at: '2024-06-01 12:00:01.000000+00:00' };
    lines.push({ run_id: runId, event_id: event++, sample_id, type: 'sampling', data: { prompt, sampled: [sampled], ...(options.usage && { usage: { completion_tokens: 7, prompt_tokens: 20, total_tokens: 27 } }) }, ...meta });
    lines.push({ run_id: runId, event_id: event++, sample_id, type: 'match', data: { correct: sampled.startsWith(capital), expected: [capital], picked: sampled.startsWith(capital) ? capital : null, sampled, options: [capital] }, ...meta });
  });
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

let n = 0;
function folder(files: Record<string, string>): string {
  const dir = join(tmp, `logs${n++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('OpenAI evals record files', () => {
  it('are detected (a file or a folder of them) and mapped: sample id, base eval, match correctness, chat prompt', async () => {
    const dir = folder({
      '240601120000ABCDEF_gpt-4o-mini_capitals.jsonl': record('gpt-4o-mini', ['Paris', 'Tokyo is the capital.', 'Nairobi'], { chat: true, usage: true }),
      '240601120500GHIJKL_my-local-model_capitals.jsonl': record('my-local-model', ['Lyon', 'Tokyo', null]),
    });
    expect(await detectRunLogFormat(dir)).toBe('openai-evals');
    expect(await detectRunLogFormat(join(dir, '240601120000ABCDEF_gpt-4o-mini_capitals.jsonl'))).toBe('openai-evals');
    const log = await loadRunLog(dir);
    expect(log.models).toEqual(['gpt-4o-mini', 'my-local-model']);
    expect(log.queries.map((q) => [q.qid, q.task, q.prompt, q.reference])).toEqual([
      ['capitals.dev.0', 'capitals', 'What is the capital of France?', 'Paris'],
      ['capitals.dev.1', 'capitals', 'What is the capital of Japan?', 'Tokyo'],
      ['capitals.dev.2', 'capitals', 'What is the capital of Kenya?', 'Nairobi'],
    ]);
    const cell = (model: string, qid: string) => log.responses.find((r) => r.model === model && r.qid === qid);
    expect(cell('gpt-4o-mini', 'capitals.dev.1')).toMatchObject({ response: 'Tokyo is the capital.', answer: 'Tokyo', correct: 1, outputTokens: 7 });
    expect(cell('my-local-model', 'capitals.dev.0')).toMatchObject({ response: 'Lyon', answer: null, correct: 0 });
    // The local model never answered sample 2: not answered, never wrong.
    expect(cell('my-local-model', 'capitals.dev.2')).toBeUndefined();
    // Its token counts were not recorded: counted on what it generated, and said so.
    expect(cell('my-local-model', 'capitals.dev.1')!.outputTokens).toBe((await o200kCounter()).count('Tokyo'));
    expect(log.tokensApproximate).toBe(true);
    expect(log.tokenizer).toBe('o200k_base');
    // The plain prompt of the second model differs from the chat one kept: reported.
    expect(log.notes).toEqual(['2 prompts of model "my-local-model" differ from the first record\'s for the same sample; queries join by sample id and keep the first prompt']);
  });

  it('names the file and line of a bad event', async () => {
    const good = record('m', ['Paris']);
    const bad = good.replace('"correct":true', '"correct":"yes"');
    const dir = folder({ 'run.jsonl': bad });
    const err = await loadRunLog(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(String(err)).toMatch(/run\.jsonl:4: field "data\.correct": expected true or false, got "yes"/);
    const twice = folder({ 'run.jsonl': good + good.split('\n')[3] + '\n' });
    await expect(loadRunLog(twice)).rejects.toThrow(DuplicatePairError);
    await expect(loadRunLog(twice)).rejects.toThrow(/run\.jsonl:5: field "sample_id": sample "capitals\.dev\.0" has a second match event \(first on line 4\)/);
  });
});
