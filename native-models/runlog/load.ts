import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ColumnMap } from '../../core/column-map.js';
import { InvalidInputError } from '../../core/errors.js';
import type { RunLog } from '../../core/runlog.js';
import { fillTokenCounts, o200kCounter } from '../tokenizer.js';
import { lmEvalRoot, loadLmEval, looksLikeLmEval, type LmEvalOptions } from './lm-eval.js';
import { loadSharedFormat, readPrices, sharedFormatFiles, withPrices } from './shared-format.js';
import { loadOpenAiEvals, looksLikeOpenAiEvals, openAiEvalsFiles } from './openai-evals.js';
import { isTablePath, loadTable } from './table.js';
import { readTextFile } from './text-file.js';

/** The run-log formats `loadRunLog` reads. */
export type RunLogFormat = 'shared' | 'table' | 'lm-eval' | 'openai-evals';

export interface LoadRunLogOptions {
  /** The format; `auto` detects it from the path (a folder with questions/responses files, a .csv/.tsv/.jsonl file, lm-eval output, or OpenAI evals record files). Defaults to `'auto'`. */
  format?: RunLogFormat | 'auto';
  /** Table format only: which column holds each field, as an object or in the CLI form `qid=id,correct=is_correct`. Defaults to `DEFAULT_COLUMN_MAP`. */
  columns?: Partial<ColumnMap> | string;
  /** Table format only: the task of every query when the table has no task column. Defaults to `'default'`. */
  task?: string;
  /** lm-eval format only: see LmEvalOptions. Defaults to `{}`. */
  lmEval?: LmEvalOptions;
  /** A prices file (the shared format's prices.json shape) whose list prices replace or add to the log's own and whose aliases rename its models; not part of the log's sha256. Defaults to none. */
  pricesPath?: string;
  /** Fill token counts the log lacks with o200k_base estimates and mark the log `tokensApproximate`. Defaults to `true`. */
  countTokens?: boolean;
}

/** Detects the format of a run-log path. */
export async function detectRunLogFormat(path: string): Promise<RunLogFormat> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (err) {
    throw new InvalidInputError(`cannot read run log (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path);
  }
  if (isDir) {
    if (sharedFormatFiles(path)) return 'shared';
    if (await looksLikeLmEval(path)) return 'lm-eval';
    if ((await openAiEvalsFiles(path)).length > 0) return 'openai-evals';
    throw new InvalidInputError('unknown run-log folder: expected questions.jsonl[.gz] + responses.jsonl[.gz], lm-evaluation-harness output with samples_*.jsonl, or OpenAI evals record files', path);
  }
  if (lmEvalRoot(path) !== path) return 'lm-eval';
  if (await looksLikeOpenAiEvals(path)) return 'openai-evals';
  if (isTablePath(path)) return 'table';
  throw new InvalidInputError('unknown run-log file type: expected .csv, .tsv, .jsonl or .ndjson (optionally .gz), or a folder', path);
}

/** The prices.json beside a run log in a format that has no prices of its own: in its folder, or the folder of its file. */
async function besidePrices(path: string): Promise<string | null> {
  const dir = (await stat(path)).isDirectory() ? path : dirname(path);
  const candidate = join(dir, 'prices.json');
  return existsSync(candidate) ? candidate : null;
}

/**
 * Adds the prices file at `path` to a log (see withPrices): its prices replace the log's own for
 * the models it names and its aliases rename the log's models.
 */
export async function addPricesFile(log: RunLog, path: string): Promise<RunLog> {
  const file = await readTextFile(path);
  return withPrices(log, readPrices(file), file.path);
}

/** Adds the prices.json beside a log, folding its bytes into the log's sha256 as the shared format does. */
async function addBesidePrices(log: RunLog, path: string): Promise<RunLog> {
  const file = await readTextFile(path);
  const priced = withPrices(log, readPrices(file), file.path);
  const sources = log.sources.map((s) => ({ path: s.path, sha256: createHash('sha256').update(s.sha256).update(file.sha256).digest('hex') }));
  return { ...priced, sources };
}

/**
 * Loads a run log in any supported format into the core's RunLog: the ../shared/data folder format,
 * a long-format CSV/TSV/JSONL table with a column map, or lm-evaluation-harness `--log_samples` output.
 * A table or lm-eval log takes the prices (and aliases) of a `prices.json` beside it, the shared
 * format's own file.
 */
export async function loadRunLog(path: string, options: LoadRunLogOptions = {}): Promise<RunLog> {
  const format = options.format && options.format !== 'auto' ? options.format : await detectRunLogFormat(path);
  const countTokens = options.countTokens !== false;
  // The lm-eval and evals readers count raw generations themselves; other formats load the vocabulary only if a count is missing.
  const counter = countTokens && (format === 'lm-eval' || format === 'openai-evals') ? await o200kCounter() : undefined;
  let log: RunLog;
  switch (format) {
    case 'shared':
      log = await loadSharedFormat(path);
      break;
    case 'table':
      log = await loadTable(path, { columns: options.columns, task: options.task });
      break;
    case 'lm-eval':
      log = await loadLmEval(lmEvalRoot(path), options.lmEval, counter);
      break;
    case 'openai-evals':
      log = await loadOpenAiEvals(path, counter);
      break;
  }
  if (format !== 'shared') {
    const beside = await besidePrices(format === 'lm-eval' ? lmEvalRoot(path) : path);
    if (beside) log = await addBesidePrices(log, beside);
  }
  if (options.pricesPath) log = await addPricesFile(log, options.pricesPath);
  return countTokens ? fillTokenCounts(log, counter) : log;
}
