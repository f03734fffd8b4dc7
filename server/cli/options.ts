import { InvalidArgumentError } from 'commander';

/** A finite number, or a commander error naming the value. */
export function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`"${value}" is not a number`);
  return n;
}

/** An integer, or a commander error naming the value. */
export function integer(value: string): number {
  const n = finiteNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`"${value}" is not an integer`);
  return n;
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A comma-separated list (repeatable: later lists add to earlier ones). */
export function commaList(value: string, previous: string[] = []): string[] {
  const items = value.split(',').map((v) => v.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError(`"${value}" names nothing`);
  return [...previous, ...items];
}

/** `name` for every task, or `task=name,task2=name2` per task (lm-eval reader options). */
export function perTaskValue(value: string): string | Record<string, string> {
  if (!value.includes('=')) {
    if (value.trim() === '') throw new InvalidArgumentError('expected a name or task=name pairs');
    return value.trim();
  }
  const out: Record<string, string> = {};
  for (const pair of value.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*([^=\s]+)\s*$/.exec(pair);
    if (!m) throw new InvalidArgumentError(`"${pair}" is not task=name (in "${value}")`);
    out[m[1]] = m[2];
  }
  return out;
}
