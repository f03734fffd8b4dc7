/**
 * Final-answer extraction from a model's raw output text.
 *
 * The cascade follows ZeroEval's `eval_utils.py` (the source of the shared run logs), so that
 * live runs are graded the way the recorded data was: the first complete `{…}` block parsed as
 * JSON, then a regex over `"answer": …`, then a `\boxed{…}`, then (numeric tasks only) the last
 * number of the whole output. Each step is hand-written because it must reproduce that exact
 * Python behaviour (brace matching, `str()` of the JSON value), which no parsing library does.
 */

/** How a final answer was found: the step of the cascade that succeeded, or `none`. */
export type ExtractionMethod = 'json' | 'regex' | 'boxed' | 'last-number' | 'none';

/** What kind of final answer a task expects, which decides the fallbacks and the grader. */
export type AnswerKind = 'numeric' | 'choice' | 'text';

export interface FinalAnswer {
  /** The extracted final answer, or null when none was found. */
  answer: string | null;
  method: ExtractionMethod;
  /** True when any final answer was found (a QE feature: a missing answer is a strong doubt signal). */
  found: boolean;
  /** True when the output held a well-formed JSON object with an `answer` field, as the prompt asked. */
  wellFormed: boolean;
}

const NUMERIC_TASKS = /^(gsm|math|svamp|asdiv|mawps|aqua-num|multiarith|addsub|singleeq|gsm-hard)/i;
const CHOICE_TASKS = /^(mmlu|arc|hellaswag|gpqa|commonsense|csqa|openbookqa|piqa|winogrande|truthfulqa|medqa|race|sciq|logiqa|agieval|bbh-mc|aqua)/i;

/** The answer kind of a task name (`gsm8k` → numeric, `mmlu-pro/law` → choice, anything else → text). */
export function answerKindOf(task: string): AnswerKind {
  if (NUMERIC_TASKS.test(task)) return 'numeric';
  if (CHOICE_TASKS.test(task)) return 'choice';
  return 'text';
}

/** Python's `repr` of a parsed JSON value, because ZeroEval stores `str(answer)` (a list becomes `[1, 2]`). */
function pythonRepr(value: unknown, top: boolean): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  // JSON.parse cannot tell 18.0 from 18, so floats that are whole print as ints (numerically equal).
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return top ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map((v) => pythonRepr(v, false)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `'${k}': ${pythonRepr(v, false)}`).join(', ')}}`;
}

/** The first brace-balanced `{…}` block, or null; ZeroEval gives up after the first complete block. */
function firstCompleteBlock(text: string): string | null {
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123) {
      if (depth === 0) start = i;
      depth++;
    } else if (c === 125 && depth > 0) {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return null;
}

/** The `answer` field of the first complete JSON object in `text` (newlines removed first, as ZeroEval does). */
export function extractJsonAnswer(text: string, key = 'answer'): string | null {
  const block = firstCompleteBlock(text);
  if (block === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(block.includes('\n') ? block.replace(/\n/g, '') : block);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !(key in parsed)) return null;
  return pythonRepr((parsed as Record<string, unknown>)[key], true);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The patterns of each key, compiled once (almost always just `answer`).
const keyPatterns = new Map<string, RegExp[]>();

/** ZeroEval's `extract_values_from_json(…, allow_no_quotes=True)` for one key: for outputs whose JSON does not parse. */
export function extractRegexAnswer(text: string, key = 'answer'): string | null {
  let patterns = keyPatterns.get(key);
  if (!patterns) {
    const k = escapeRegExp(key);
    patterns = [
      new RegExp(`"${k}"\\s*:\\s*"([^"]*?)"`),
      new RegExp(`"${k}"\\s*:\\s*"([\\s\\S]*?)"`),
      new RegExp(`"${k}"\\s*:\\s*([^,\\s]*)`),
      new RegExp(`${k}\\s*:\\s*([^,\\s]*)`),
    ];
    if (keyPatterns.size < 16) keyPatterns.set(key, patterns);
  }
  for (const p of patterns) {
    const m = p.exec(text);
    if (m) return m[1];
  }
  return null;
}

/** The content of the last `\boxed{…}` (brace-matched, so `\boxed{\frac{1}{2}}` works), or null. */
export function extractBoxed(text: string): string | null {
  const at = text.lastIndexOf('\\boxed{');
  if (at < 0) return null;
  let depth = 0;
  const open = at + '\\boxed'.length;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  return null;
}

/** Matches one number: optional sign, digits with optional decimals, or a leading-dot decimal. */
export const NUMBER_PATTERN = /-?(?:\d+(?:\.\d+)?|\.\d+)/g;

/** The last number of `text` (thousands separators ignored), or null. */
export function lastNumber(text: string): string | null {
  const matches = stripThousands(text).match(NUMBER_PATTERN);
  return matches ? matches[matches.length - 1] : null;
}

/** Removes thousands commas (`1,234,567` → `1234567`) but keeps list commas (`1, 2`). */
export function stripThousands(text: string): string {
  return text.replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
}

/** Matches a lone choice letter, as in `(B)`, `B.`, `answer is B`. */
const CHOICE_PATTERNS = [
  /^\s*\(?([A-J])(?:\)|[.:](?:\s|$)|\s*$)/,
  /\b[Aa]nswer(?:\s+is)?\s*:?\s*\(?\**([A-J])\b/,
  /\(([A-J])\)/,
];

/** The choice letter in a free-text answer (`"(C) 42"` → `C`), or null. */
export function extractChoiceLetter(text: string): string | null {
  for (const p of CHOICE_PATTERNS) {
    const m = p.exec(text);
    if (m) return m[1].toUpperCase();
  }
  return null;
}

/**
 * Finds the final answer of `response` for a task (a task name such as `gsm8k`, or an AnswerKind).
 * Steps: JSON `answer` field → regex over `"answer": …` → `\boxed{…}` → the last number (numeric tasks)
 * or an `answer is (X)` letter (choice tasks) → none.
 */
export function extractFinalAnswer(task: string | AnswerKind, response: string): FinalAnswer {
  const kind = task === 'numeric' || task === 'choice' || task === 'text' ? task : answerKindOf(task);
  const json = extractJsonAnswer(response);
  if (json !== null) return { answer: json, method: 'json', found: true, wellFormed: true };
  const regex = extractRegexAnswer(response);
  if (regex !== null) return { answer: regex, method: 'regex', found: true, wellFormed: false };
  const boxed = extractBoxed(response);
  if (boxed !== null) return { answer: boxed, method: 'boxed', found: true, wellFormed: false };
  if (kind === 'numeric') {
    const n = lastNumber(response);
    if (n !== null) return { answer: n, method: 'last-number', found: true, wellFormed: false };
  }
  if (kind === 'choice') {
    const letter = extractChoiceLetter(response);
    if (letter !== null) return { answer: letter, method: 'regex', found: true, wellFormed: false };
  }
  return { answer: null, method: 'none', found: false, wellFormed: false };
}
