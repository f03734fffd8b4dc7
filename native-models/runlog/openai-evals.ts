import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DuplicatePairError, InvalidInputError, MissingColumnError } from '../../core/errors.js';
import { parseOrThrow, type ModelResponse, type Query, type RunLog } from '../../core/runlog.js';
import type { TokenCounter } from '../tokenizer.js';
import { asText, chatPromptText, firstString } from './sample-text.js';
import { parseJsonLines, readTextFile, type TextFile } from './text-file.js';

// An OpenAI `evals` record file (`oaieval MODEL EVAL --record_path FILE`): a `spec` line, a
// `final_report` line, then one event per line, tied to its sample by `sample_id`.
const SpecLine = z.object({
  spec: z.object({
    completion_fns: z.array(z.string().min(1)).min(1),
    eval_name: z.string().min(1).optional(),
    base_eval: z.string().min(1).optional(),
  }).loose(),
}).loose();

const EventLine = z.object({
  sample_id: z.string().min(1),
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
}).loose();

const Usage = z.object({ completion_tokens: z.number().int().nonnegative() }).loose();

/** True when the file's first line is an OpenAI evals `spec` line (read without loading the whole file). */
export async function looksLikeOpenAiEvals(path: string): Promise<boolean> {
  if (!/\.jsonl$/i.test(path)) return false;
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64, 0);
    return /^\s*\{\s*"spec"\s*:/.test(buffer.toString('utf8', 0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** The OpenAI evals record files of a path: the file itself, or every record file in a folder. */
export async function openAiEvalsFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return (await looksLikeOpenAiEvals(path)) ? [path] : [];
  const names = (await readdir(path)).filter((n) => n.endsWith('.jsonl')).sort();
  const found: string[] = [];
  for (const n of names) if (await looksLikeOpenAiEvals(join(path, n))) found.push(join(path, n));
  return found;
}

interface Sample {
  prompt: string | null;
  sampled: string | null;
  outputTokens?: number;
  /** True when outputTokens is a tokenizer estimate, not the API's usage. */
  counted: boolean;
  correct: 0 | 1 | null;
  answer: string | null;
  reference: string | null;
  matchLine: number | null;
}

function readRecord(file: TextFile, counter: TokenCounter | undefined): { model: string; task: string; samples: Map<string, Sample> } {
  const lines = parseJsonLines(file);
  const first = lines.next();
  if (first.done) throw new InvalidInputError('empty OpenAI evals record: no spec line', file.path);
  const { spec } = parseOrThrow(SpecLine, first.value.value, `${file.path}:${first.value.line}`);
  const samples = new Map<string, Sample>();
  const sample = (id: string) => {
    let s = samples.get(id);
    if (!s) samples.set(id, (s = { prompt: null, sampled: null, counted: false, correct: null, answer: null, reference: null, matchLine: null }));
    return s;
  };
  for (const { line, value } of lines) {
    if ('final_report' in (value as Record<string, unknown>)) continue;
    const where = `${file.path}:${line}`;
    const event = parseOrThrow(EventLine, value, where);
    const s = sample(event.sample_id);
    if (event.type === 'sampling') {
      // A multi-turn eval samples several times: the first turn's prompt, and its generation.
      if (s.prompt !== null) continue;
      s.prompt = chatPromptText(event.data.prompt);
      s.sampled = firstString(event.data.sampled);
      const usage = Usage.safeParse(event.data.usage);
      if (usage.success) s.outputTokens = usage.data.completion_tokens;
    } else if (event.type === 'match') {
      if (s.matchLine !== null) throw new DuplicatePairError(`field "sample_id": sample "${event.sample_id}" has a second match event (first on line ${s.matchLine})`, where);
      const correct = event.data.correct;
      if (typeof correct !== 'boolean') throw new InvalidInputError(`field "data.correct": expected true or false, got ${JSON.stringify(correct)}`, where);
      s.correct = correct ? 1 : 0;
      s.matchLine = line;
      s.answer = typeof event.data.picked === 'string' ? event.data.picked : null;
      const expected = event.data.expected;
      s.reference = expected === undefined || expected === null ? null : Array.isArray(expected) ? expected.map(asText).join(' | ') : asText(expected);
      s.sampled ??= firstString(event.data.sampled);
    }
  }
  const task = spec.base_eval ?? spec.eval_name ?? 'default';
  for (const s of samples.values()) {
    if (!counter || s.outputTokens !== undefined || s.sampled === null) continue;
    s.outputTokens = counter.count(s.sampled);
    s.counted = true;
  }
  return { model: spec.completion_fns.join(','), task, samples };
}

/**
 * Loads OpenAI `evals` record files (one file, or a folder of them; one file per model and eval):
 * each sample becomes the query `sample_id`, of the task `base_eval`; `correct` is its `match`
 * event's `correct`; the prompt is the first `sampling` event's (a chat prompt's last user message);
 * the response is what was sampled and the answer the option `picked`. Output tokens are the
 * sampling event's `usage.completion_tokens`, else counted with `counter` (and then approximate).
 * A sample with no match event is not answered.
 */
export async function loadOpenAiEvals(path: string, counter?: TokenCounter): Promise<RunLog> {
  const paths = await openAiEvalsFiles(path);
  if (paths.length === 0) throw new InvalidInputError('no OpenAI evals record file (a .jsonl whose first line is {"spec": …})', path);
  const queries = new Map<string, Query>();
  const responses: ModelResponse[] = [];
  const models: string[] = [];
  const seen = new Map<string, string>();
  const hash = createHash('sha256');
  let approximate = false;
  const promptDiffs = new Map<string, number>();
  for (const p of paths) {
    const file = await readTextFile(p);
    hash.update(file.sha256);
    const { model, task, samples } = readRecord(file, counter);
    if (!models.includes(model)) models.push(model);
    for (const [qid, s] of samples) {
      if (s.correct === null) continue;
      const key = `${qid}\u0000${model}`;
      const prior = seen.get(key);
      if (prior) throw new DuplicatePairError(`field "sample_id": sample "${qid}" of model "${model}" is also in ${prior}`, p);
      seen.set(key, p);
      if (s.prompt === null && !queries.has(qid)) throw new MissingColumnError(`field "data.prompt": sample "${qid}" has a match event but no sampling event to take its prompt from`, p);
      const known = queries.get(qid);
      if (!known) queries.set(qid, { qid, task, prompt: s.prompt ?? '', reference: s.reference });
      else if (s.prompt !== null && known.prompt !== s.prompt) promptDiffs.set(model, (promptDiffs.get(model) ?? 0) + 1);
      approximate ||= s.counted;
      responses.push({ qid, model, response: s.sampled ?? '', answer: s.answer, correct: s.correct, ...(s.outputTokens !== undefined && { outputTokens: s.outputTokens }) });
    }
  }
  const notes = [...promptDiffs].map(([model, n]) => `${n} ${n === 1 ? 'prompt' : 'prompts'} of model "${model}" differ from the first record's for the same sample; queries join by sample id and keep the first prompt`);
  return {
    queries: [...queries.values()],
    models,
    responses,
    prices: {},
    sources: [{ path, sha256: hash.digest('hex') }],
    tokensApproximate: approximate,
    ...(approximate && counter && { tokenizer: counter.encoding }),
    ...(notes.length > 0 && { notes }),
  };
}
