import Papa from 'papaparse';
import { DEFAULT_COLUMN_MAP, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, parseColumnMap, type ColumnField, type ColumnMap } from '../../core/column-map.js';
import { ConflictError, DuplicatePairError, InvalidInputError, MalformedLineError, MissingColumnError } from '../../core/errors.js';
import type { ModelResponse, Query, RunLog } from '../../core/runlog.js';
import { parseJsonLines, readTextFile, type TextFile } from './text-file.js';

/** Options of the long-format table reader (CSV, TSV or JSONL; one row per (query, model)). */
export interface TableOptions {
  /** Which column holds each field, as an object or in the CLI form `qid=id,correct=is_correct`; unnamed fields keep their default. Defaults to `DEFAULT_COLUMN_MAP`. */
  columns?: Partial<ColumnMap> | string;
  /** The task of every query when the table has no task column. Defaults to `'default'`. */
  task?: string;
}

/** One data row of a table, with its 1-based line in the file. */
interface Row {
  line: number;
  cell(column: string): unknown;
}

/** True when `path` names a table this reader takes by its extension. */
export function isTablePath(path: string): boolean {
  return /\.(csv|tsv|jsonl|ndjson)(\.gz)?$/i.test(path);
}

function csvRows(file: TextFile, required: string[]): Row[] {
  const { text, path } = file;
  const rows: Row[] = [];
  let header: string[] | null = null;
  let index = new Map<string, number>();
  let cursor = 0;
  let line = 1;
  // papaparse reports rows, not lines: its cursor tells where each row ends, which keeps line
  // numbers right across quoted cells that span lines.
  Papa.parse<string[]>(text, {
    header: false,
    delimiter: /\.tsv(\.gz)?$/i.test(path) ? '\t' : ',',
    step: (result) => {
      const rowLine = line;
      const end = result.meta.cursor;
      for (let i = cursor; i < end; i++) if (text.charCodeAt(i) === 10) line++;
      cursor = end;
      const cells = result.data;
      if (cells.length === 1 && cells[0].trim() === '') return;
      const error = result.errors[0];
      if (error) throw new MalformedLineError(`malformed CSV row (${error.message})`, `${path}:${rowLine}`);
      if (!header) {
        header = cells.map((c) => c.trim());
        index = new Map(header.map((h, i) => [h, i]));
        const missing = required.filter((c) => !header!.includes(c));
        if (missing.length) throw new MissingColumnError(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')} (header has ${header.map((c) => `"${c}"`).join(', ')})`, `${path}:${rowLine}`);
        return;
      }
      if (cells.length !== header.length) {
        throw new MalformedLineError(`row has ${cells.length} cells, the header has ${header.length}`, `${path}:${rowLine}`);
      }
      rows.push({ line: rowLine, cell: (c) => {
        const i = index.get(c);
        return i === undefined ? undefined : cells[i];
      } });
    },
  });
  if (!header) throw new MissingColumnError('empty table: no header row', path);
  return rows;
}

function jsonlRows(file: TextFile, required: string[]): Row[] {
  const rows: Row[] = [];
  for (const { line, value } of parseJsonLines(file)) {
    const obj = value as Record<string, unknown>;
    const missing = required.filter((c) => !(c in obj));
    if (missing.length) throw new MissingColumnError(`missing field${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')}`, `${file.path}:${line}`);
    rows.push({ line, cell: (c) => obj[c] });
  }
  return rows;
}

/** Reads cells into typed values, naming the row, field and column of any bad value. */
class CellReader {
  constructor(
    private readonly path: string,
    private readonly map: Required<ColumnMap>,
  ) {}

  private fail(row: Row, field: ColumnField, message: string): never {
    const col = this.map[field] === field ? '' : ` (column "${this.map[field]}")`;
    throw new InvalidInputError(`field "${field}"${col}: ${message}`, `${this.path}:${row.line}`);
  }

  private raw(row: Row, field: ColumnField): unknown {
    return row.cell(this.map[field]);
  }

  /** A text cell; numbers are taken as their decimal text; empty or null gives null. */
  text(row: Row, field: ColumnField): string | null {
    const v = this.raw(row, field);
    if (v === undefined || v === null || v === '') return null;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return this.fail(row, field, `expected text, got ${JSON.stringify(v)}`);
  }

  id(row: Row, field: ColumnField): string {
    const v = this.text(row, field);
    if (v === null || v.trim() === '') return this.fail(row, field, 'is empty');
    return v;
  }

  /** 1, 0, or null for an empty cell (the model did not answer). */
  correct(row: Row): 0 | 1 | null {
    const v = this.raw(row, 'correct');
    if (v === undefined || v === null) return null;
    if (v === true || v === 1) return 1;
    if (v === false || v === 0) return 0;
    if (typeof v === 'string') {
      const s = v.trim().toLowerCase();
      if (s === '') return null;
      if (s === '1' || s === 'true' || s === '1.0') return 1;
      if (s === '0' || s === 'false' || s === '0.0') return 0;
    }
    return this.fail(row, 'correct', `expected 0, 1, true, false or an empty cell (not answered), got ${JSON.stringify(v)}`);
  }

  /** A non-negative number (an integer for token counts), or undefined for an empty cell. */
  number(row: Row, field: ColumnField, integer: boolean): number | undefined {
    const v = this.raw(row, field);
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
      return this.fail(row, field, `expected a non-negative ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
    }
    return n;
  }
}

/** Resolves the options' column map against the defaults; returns the map and the fields named explicitly. */
export function resolveColumnMap(columns: TableOptions['columns']): { map: Required<ColumnMap>; explicit: Set<ColumnField> } {
  const given = typeof columns === 'string' ? parseColumnMap(columns) : (columns ?? {});
  const map = { ...DEFAULT_COLUMN_MAP, ...given } as Required<ColumnMap>;
  return { map, explicit: new Set(Object.keys(given) as ColumnField[]) };
}

/**
 * Loads a long-format run log from CSV/TSV (papaparse) or JSON Lines, optionally gzipped: one row per
 * (query, model). Query fields (prompt, task, reference, prompt tokens) must agree across a query's rows.
 * An empty `correct` cell means the model did not answer: no response is recorded, so it counts as
 * unknown, never as wrong.
 */
export async function loadTable(path: string, options: TableOptions = {}): Promise<RunLog> {
  const { map, explicit } = resolveColumnMap(options.columns);
  const defaultTask = options.task ?? 'default';
  const file = await readTextFile(path);
  const isCsv = /\.(csv|tsv)(\.gz)?$/i.test(path);
  // A CSV header must hold every required column and every optional one named explicitly;
  // JSON Lines rows may leave optional keys out.
  const required = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS.filter((f) => explicit.has(f))].map((f) => map[f]);
  const rows = isCsv ? csvRows(file, required) : jsonlRows(file, REQUIRED_COLUMNS.map((f) => map[f]));

  const cells = new CellReader(path, map);
  const queries = new Map<string, { query: Query; line: number }>();
  const pairs = new Map<string, number>();
  const models = new Set<string>();
  const responses: ModelResponse[] = [];

  for (const row of rows) {
    const where = `${path}:${row.line}`;
    const qid = cells.id(row, 'qid');
    const model = cells.id(row, 'model');
    const promptTokens = cells.number(row, 'prompt_tokens', true);
    const query: Query = {
      qid,
      task: cells.text(row, 'task') ?? defaultTask,
      prompt: cells.text(row, 'prompt') ?? '',
      reference: cells.text(row, 'reference'),
      ...(promptTokens !== undefined && { promptTokens }),
    };
    const prior = queries.get(qid);
    if (!prior) queries.set(qid, { query, line: row.line });
    else {
      for (const field of ['prompt', 'task', 'reference'] as const) {
        if ((prior.query[field] ?? null) !== (query[field] ?? null)) {
          throw new ConflictError(`field "${field}": query "${qid}" has a different ${field} than on line ${prior.line}`, where);
        }
      }
    }
    const key = `${qid}\u0000${model}`;
    const first = pairs.get(key);
    if (first !== undefined) throw new DuplicatePairError(`field "model": duplicate (query, model) pair ("${qid}", "${model}"), first on line ${first}`, where);
    pairs.set(key, row.line);
    models.add(model);

    const correct = cells.correct(row);
    if (correct === null) continue;
    const outputTokens = cells.number(row, 'output_tokens', true);
    const costUsd = cells.number(row, 'cost_usd', false);
    const ttftMs = cells.number(row, 'ttft_ms', false);
    const tpotMs = cells.number(row, 'tpot_ms', false);
    const latencyMs = cells.number(row, 'latency_ms', false);
    responses.push({
      qid, model, response: cells.text(row, 'response') ?? '', answer: cells.text(row, 'answer'), correct,
      ...(outputTokens !== undefined && { outputTokens }),
      ...(costUsd !== undefined && { costUsd }),
      ...(ttftMs !== undefined && { ttftMs }),
      ...(tpotMs !== undefined && { tpotMs }),
      ...(latencyMs !== undefined && { latencyMs }),
    });
  }
  if (queries.size === 0) throw new InvalidInputError('the table has no data rows', path);
  return {
    queries: [...queries.values()].map((q) => q.query),
    models: [...models],
    responses,
    prices: {},
    sources: [{ path, sha256: file.sha256 }],
    tokensApproximate: false,
  };
}
