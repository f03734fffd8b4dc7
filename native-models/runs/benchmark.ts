import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import Papa from 'papaparse';
import { z } from 'zod';
import { ConflictError, InvalidInputError, MissingColumnError } from '../../core/errors.js';
import { parseOrThrow, type Query } from '../../core/runlog.js';
import { sharedFormatFiles } from '../runlog/shared-format.js';
import { parseJsonLines, readTextFile } from '../runlog/text-file.js';
import { existsSync } from 'node:fs';

/** Questions with references: what a benchmark run sends through a tier. */
export interface Benchmark {
  path: string;
  sha256: string;
  queries: Query[];
}

// Question lines in the ../shared/data format (snake_case), camelCase accepted too.
const QuestionLine = z.object({
  qid: z.union([z.string().min(1), z.number()]).transform(String),
  task: z.string().min(1).default('default'),
  prompt: z.string().min(1),
  reference: z.union([z.string(), z.number()]).nullable().optional().transform((r) => (r === undefined || r === null ? null : String(r))),
  prompt_tokens: z.number().int().nonnegative().optional(),
  promptTokens: z.number().int().nonnegative().optional(),
}).loose();

/**
 * Reads a benchmark: a ../shared/data folder (its questions file), a questions.jsonl[.gz] file,
 * or a CSV/TSV with columns `prompt` (or `question`), `reference` (or `answer`), and optionally
 * `qid` (else the row number) and `task`.
 */
export async function loadBenchmark(path: string): Promise<Benchmark> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) {
      const found = sharedFormatFiles(path)?.questions ?? ['questions.jsonl.gz', 'questions.jsonl'].map((n) => join(path, n)).find(existsSync);
      if (!found) throw new InvalidInputError('no questions.jsonl[.gz] in this folder', path);
      file = found;
    }
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError(`cannot read benchmark (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path);
  }
  const text = await readTextFile(file);
  const queries: Query[] = [];
  const seen = new Set<string>();
  const add = (q: Query, where: string) => {
    if (seen.has(q.qid)) throw new ConflictError(`field "qid": duplicate query "${q.qid}"`, where);
    seen.add(q.qid);
    queries.push(q);
  };
  if (/\.(csv|tsv)(\.gz)?$/i.test(file)) {
    const parsed = Papa.parse<Record<string, string>>(text.text, { header: true, skipEmptyLines: true, delimiter: /\.tsv(\.gz)?$/i.test(file) ? '\t' : ',' });
    if (parsed.errors[0]) throw new InvalidInputError(`malformed CSV (${parsed.errors[0].message})`, `${file}:${(parsed.errors[0].row ?? 0) + 2}`);
    const cols = parsed.meta.fields ?? [];
    const promptCol = ['prompt', 'question'].find((c) => cols.includes(c));
    const refCol = ['reference', 'answer'].find((c) => cols.includes(c));
    if (!promptCol) throw new MissingColumnError(`missing column "prompt" (or "question"); the header has ${cols.map((c) => `"${c}"`).join(', ')}`, file);
    parsed.data.forEach((row, i) => {
      const where = `${file}:${i + 2}`;
      if (!row[promptCol]) throw new InvalidInputError(`field "${promptCol}": empty prompt`, where);
      add({ qid: row.qid || String(i + 1), task: row.task || 'default', prompt: row[promptCol], reference: refCol && row[refCol] !== '' ? row[refCol] : null }, where);
    });
  } else {
    for (const { line, value } of parseJsonLines(text)) {
      const where = `${file}:${line}`;
      const q = parseOrThrow(QuestionLine, value, where);
      const promptTokens = q.prompt_tokens ?? q.promptTokens;
      add({ qid: q.qid, task: q.task, prompt: q.prompt, reference: q.reference, ...(promptTokens !== undefined && { promptTokens }) }, where);
    }
  }
  if (queries.length === 0) throw new InvalidInputError('the benchmark has no questions', file);
  return { path: file, sha256: text.sha256, queries };
}
