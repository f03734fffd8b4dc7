import { InvalidInputError } from './errors.js';

/**
 * Which column of a long-format table (one row per (query, model)) holds each run-log field.
 * Keys are the run log's field names as written in the shared data format.
 */
export interface ColumnMap {
  qid: string;
  model: string;
  prompt: string;
  response: string;
  /** 0/1/true/false; an empty cell means the model did not answer (unknown, never wrong). */
  correct: string;
  answer?: string;
  reference?: string;
  task?: string;
  prompt_tokens?: string;
  output_tokens?: string;
  cost_usd?: string;
  ttft_ms?: string;
  tpot_ms?: string;
  latency_ms?: string;
}

export type ColumnField = keyof ColumnMap;

export const REQUIRED_COLUMNS = ['qid', 'model', 'prompt', 'response', 'correct'] as const satisfies readonly ColumnField[];
export const OPTIONAL_COLUMNS = [
  'answer', 'reference', 'task', 'prompt_tokens', 'output_tokens', 'cost_usd', 'ttft_ms', 'tpot_ms', 'latency_ms',
] as const satisfies readonly ColumnField[];
const ALL_FIELDS: readonly ColumnField[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];

/** The default map: every field read from the column of the same name (the shared data format's names). */
export const DEFAULT_COLUMN_MAP: Readonly<Required<ColumnMap>> = Object.freeze(
  Object.fromEntries(ALL_FIELDS.map((f) => [f, f])) as Required<ColumnMap>,
);

// camelCase spellings of the core's RunLog fields, accepted as keys so either naming works on the CLI.
const ALIASES: Record<string, ColumnField> = {
  promptTokens: 'prompt_tokens', outputTokens: 'output_tokens', costUsd: 'cost_usd', ttftMs: 'ttft_ms', tpotMs: 'tpot_ms', latencyMs: 'latency_ms',
};

/** Resolves a field name or its camelCase alias, or null when it is no field. */
export function columnField(key: string): ColumnField | null {
  if ((ALL_FIELDS as readonly string[]).includes(key)) return key as ColumnField;
  return ALIASES[key] ?? null;
}

/**
 * Parses the command-line form `qid=id,model=model_name,correct=is_correct` into a partial column map;
 * fields left out keep their default column. Keys may be the snake_case or camelCase field names.
 */
export function parseColumnMap(text: string, where = '--columns'): Partial<ColumnMap> {
  const map: Partial<ColumnMap> = {};
  const usage = `expected FIELD=COLUMN pairs separated by commas; fields: ${ALL_FIELDS.join(', ')}`;
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw new InvalidInputError(`"${part.trim()}" has no "=" (${usage})`, where);
    const key = part.slice(0, eq).trim();
    const column = part.slice(eq + 1).trim();
    const field = columnField(key);
    if (!field) throw new InvalidInputError(`unknown field "${key}" (${usage})`, where);
    if (column === '') throw new InvalidInputError(`field "${key}" names no column (${usage})`, where);
    if (map[field] !== undefined) throw new InvalidInputError(`field "${key}" is given twice`, where);
    map[field] = column;
  }
  return map;
}

/** The command-line form of a column map, listing only the fields that differ from the default. */
export function formatColumnMap(map: Partial<ColumnMap>): string {
  return ALL_FIELDS.filter((f) => map[f] !== undefined && map[f] !== f).map((f) => `${f}=${map[f]}`).join(',');
}
