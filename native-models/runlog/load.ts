import { stat } from 'node:fs/promises';
import type { ColumnMap } from '../../core/column-map.js';
import { InvalidInputError } from '../../core/errors.js';
import type { RunLog } from '../../core/runlog.js';
import { fillTokenCounts } from '../tokenizer.js';
import { lmEvalRoot, loadLmEval, looksLikeLmEval, type LmEvalOptions } from './lm-eval.js';
import { loadSharedFormat, readPrices, sharedFormatFiles } from './shared-format.js';
import { isTablePath, loadTable } from './table.js';
import { readTextFile } from './text-file.js';

/** The run-log formats `loadRunLog` reads. */
export type RunLogFormat = 'shared' | 'table' | 'lm-eval';

export interface LoadRunLogOptions {
  /** The format; `auto` detects it from the path (a folder with questions/responses files, a .csv/.tsv/.jsonl file, or lm-eval output). Defaults to `'auto'`. */
  format?: RunLogFormat | 'auto';
  /** Table format only: which column holds each field, as an object or in the CLI form `qid=id,correct=is_correct`. Defaults to `DEFAULT_COLUMN_MAP`. */
  columns?: Partial<ColumnMap> | string;
  /** Table format only: the task of every query when the table has no task column. Defaults to `'default'`. */
  task?: string;
  /** lm-eval format only: see LmEvalOptions. Defaults to `{}`. */
  lmEval?: LmEvalOptions;
  /** A prices.json (shared-format shape) whose list prices replace or add to the log's own. Defaults to none. */
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
    throw new InvalidInputError('unknown run-log folder: expected questions.jsonl[.gz] + responses.jsonl[.gz], or lm-evaluation-harness output with samples_*.jsonl', path);
  }
  if (lmEvalRoot(path) !== path) return 'lm-eval';
  if (isTablePath(path)) return 'table';
  throw new InvalidInputError('unknown run-log file type: expected .csv, .tsv, .jsonl or .ndjson (optionally .gz), or a folder', path);
}

/**
 * Loads a run log in any supported format into the core's RunLog: the ../shared/data folder format,
 * a long-format CSV/TSV/JSONL table with a column map, or lm-evaluation-harness `--log_samples` output.
 */
export async function loadRunLog(path: string, options: LoadRunLogOptions = {}): Promise<RunLog> {
  const format = options.format && options.format !== 'auto' ? options.format : await detectRunLogFormat(path);
  let log: RunLog;
  switch (format) {
    case 'shared':
      log = await loadSharedFormat(path);
      break;
    case 'table':
      log = await loadTable(path, { columns: options.columns, task: options.task });
      break;
    case 'lm-eval':
      log = await loadLmEval(lmEvalRoot(path), options.lmEval);
      break;
  }
  if (options.pricesPath) {
    const file = await readTextFile(options.pricesPath);
    log = { ...log, prices: { ...log.prices, ...readPrices(file) }, sources: [...log.sources, { path: file.path, sha256: file.sha256 }] };
  }
  return options.countTokens === false ? log : fillTokenCounts(log);
}
