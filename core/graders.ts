/**
 * Graders for live runs: decide whether a model's raw output answers a query correctly, the
 * same way the recorded run logs were graded (see ../shared/data/zeroeval-gsm8k-crux/README.md).
 */
import {
  answerKindOf,
  extractBoxed,
  extractChoiceLetter,
  extractFinalAnswer,
  stripThousands,
  type AnswerKind,
  type ExtractionMethod,
} from './extract.js';
import { parsePythonLiteral, pythonEquals } from './python-literal.js';

/** The verdict on one output: 1 right, 0 wrong, with the final answer it was judged on. */
export interface Grade {
  correct: 0 | 1;
  /** The extracted final answer, or null when the output has none (always graded 0). */
  answer: string | null;
  method: ExtractionMethod;
}

/** Grades a model's raw output text against the reference answer. */
export type Grader = (response: string, reference: string) => Grade;

/** Tolerance of the numeric grader, as in the GSM8K labels. */
export const NUMERIC_TOLERANCE = 1e-6;

const NUMBER_OR_FRACTION = /-?(?:\d+(?:\.\d+)?|\.\d+)(?:\s*\/\s*(?:\d+(?:\.\d+)?|\.\d+))?/g;

function toNumber(token: string): number {
  const slash = token.indexOf('/');
  if (slash < 0) return Number(token);
  return Number(token.slice(0, slash).trim()) / Number(token.slice(slash + 1).trim());
}

/**
 * The number an answer string states, or null. `$`, `\$`, `%`, `\!`, `\,` and thousands commas are
 * dropped, `\boxed{}` unwrapped and `\frac{a}{b}` read as a/b; then the number is the only number in the
 * answer (`"$1,080.00"`, `"18 dollars"`), else the first number after the last `=` (`"9 * 2 = 18"`),
 * else the first number. Fractions `a/b` are evaluated.
 */
export function parseNumericAnswer(answer: string): number | null {
  let s = answer;
  const boxed = extractBoxed(s);
  if (boxed !== null) s = boxed;
  s = s
    .replace(/\\frac\{([^{}]*)\}\{([^{}]*)\}/g, '$1/$2')
    .replace(/\\\$/g, '')
    .replace(/[$%]/g, '')
    .replace(/\\[!,]/g, '');
  s = stripThousands(s);
  const all = s.match(NUMBER_OR_FRACTION);
  if (!all) return null;
  if (all.length === 1) return toNumber(all[0]);
  const eq = s.lastIndexOf('=');
  if (eq >= 0) {
    const after = s.slice(eq + 1).match(NUMBER_OR_FRACTION);
    if (after) return toNumber(after[0]);
  }
  return toNumber(all[0]);
}

/** GSM8K-style grader: the final answer's number equals the reference's within NUMERIC_TOLERANCE. */
export const gradeNumeric: Grader = (response, reference) => {
  const { answer, method } = extractFinalAnswer('numeric', response);
  const ref = parseNumericAnswer(reference);
  const pred = answer === null ? null : parseNumericAnswer(answer);
  const correct = ref !== null && pred !== null && Math.abs(pred - ref) <= NUMERIC_TOLERANCE ? 1 : 0;
  return { correct, answer, method };
};

/** Multiple-choice grader: the answer's choice letter (`"(B) 12"`, `"B"`) equals the reference's. */
export const gradeMultipleChoice: Grader = (response, reference) => {
  const { answer, method } = extractFinalAnswer('choice', response);
  const ref = extractChoiceLetter(reference.trim());
  const pred = answer === null ? null : extractChoiceLetter(answer.trim());
  return { correct: ref !== null && pred === ref ? 1 : 0, answer, method };
};

/**
 * Normalises free text for exact match: trimmed, case-folded, whitespace runs collapsed,
 * surrounding back-ticks and one pair of matching quotes removed, a trailing full stop dropped.
 */
export function normalizeAnswer(text: string): string {
  let s = text.trim().replace(/^`+|`+$/g, '').trim();
  const q = s[0];
  if (s.length >= 2 && (q === '"' || q === "'") && s[s.length - 1] === q) s = s.slice(1, -1);
  return s.replace(/\s+/g, ' ').trim().replace(/\.$/, '').toLowerCase();
}

/** Normalised exact match of the final answer against the reference. */
export const gradeExactMatch: Grader = (response, reference) => {
  const { answer, method } = extractFinalAnswer('text', response);
  const correct = answer !== null && normalizeAnswer(answer) === normalizeAnswer(reference) ? 1 : 0;
  return { correct, answer, method };
};

/**
 * A CRUXEval-style prediction reduced to its output literal: newlines re-escaped (as ZeroEval does),
 * surrounding whitespace and back-ticks dropped, and `assert f(...) == Y` or `f(...) == Y` reduced to `Y`.
 */
export function outputLiteral(answer: string): string {
  const s = answer.replace(/\n/g, '\\n').trim().replace(/^`+|`+$/g, '').trim();
  const m = /^(?:assert\s+)?[A-Za-z_][\w.]*\(.*\)\s*==\s*([\s\S]+)$/.exec(s);
  return m ? m[1].trim() : s;
}

const stripQuotes = (s: string) => s.replace(/^['"]+|['"]+$/g, '');

/**
 * Python-literal grader (CRUXEval-O: predict a function's output), the rule behind the shared
 * CRUXEval labels: when both sides parse as Python literals, Python `==` decides (`8.50 == 8.5`,
 * dict order ignored); a string reference also matches the bare text of the answer (the JSON
 * `answer` field is itself a string); otherwise the texts are compared with quotes stripped and
 * whitespace kept.
 */
export const gradePythonLiteral: Grader = (response, reference) => {
  const { answer, method } = extractFinalAnswer('text', response);
  if (answer === null) return { correct: 0, answer, method };
  const pred = outputLiteral(answer);
  const ref = parsePythonLiteral(reference.trim());
  const got = parsePythonLiteral(pred);
  let correct: 0 | 1;
  if (ref && got && pythonEquals(ref, got)) correct = 1;
  else if (ref?.t === 'str' && answer === ref.v) correct = 1;
  else if (ref && got) correct = 0;
  // ZeroEval's fallback compares with whitespace kept: ' POO' is not 'POO'.
  else correct = stripQuotes(answer.replace(/\n/g, '\\n')) === stripQuotes(reference) ? 1 : 0;
  return { correct, answer, method };
};

/** The graders by name, for configs and the CLI. */
export const GRADERS = {
  numeric: gradeNumeric,
  'multiple-choice': gradeMultipleChoice,
  'exact-match': gradeExactMatch,
  'python-literal': gradePythonLiteral,
} as const satisfies Record<string, Grader>;
export type GraderName = keyof typeof GRADERS;

const GRADER_OF_KIND: Record<AnswerKind, GraderName> = { numeric: 'numeric', choice: 'multiple-choice', text: 'exact-match' };
// Tasks whose answers are Python values (CRUXEval output prediction).
const LITERAL_TASKS = /^crux/i;

/**
 * The grader name a task uses by default: numeric for GSM8K-like, multiple-choice for MMLU-like,
 * python-literal for CRUXEval, else exact match.
 */
export function graderNameFor(task: string): GraderName {
  return LITERAL_TASKS.test(task) ? 'python-literal' : GRADER_OF_KIND[answerKindOf(task)];
}

/** The default grader of a task (see graderNameFor). */
export function graderFor(task: string): Grader {
  return GRADERS[graderNameFor(task)];
}

/**
 * Whether two extracted final answers say the same thing under the task's grading rule: the
 * "two cheap tiers agree" QE signal. A null answer agrees with nothing.
 */
export function answersAgree(task: string | AnswerKind, a: string | null, b: string | null): boolean {
  if (a === null || b === null) return false;
  const kind = task === 'numeric' || task === 'choice' || task === 'text' ? task : answerKindOf(task);
  if (kind === 'numeric') {
    const x = parseNumericAnswer(a);
    const y = parseNumericAnswer(b);
    return x !== null && y !== null && Math.abs(x - y) <= NUMERIC_TOLERANCE;
  }
  if (kind === 'choice') {
    const x = extractChoiceLetter(a.trim());
    return x !== null && x === extractChoiceLetter(b.trim());
  }
  if (LITERAL_TASKS.test(task)) {
    const x = parsePythonLiteral(outputLiteral(a));
    const y = parsePythonLiteral(outputLiteral(b));
    if (x && y) return pythonEquals(x, y);
  }
  return normalizeAnswer(a) === normalizeAnswer(b);
}
