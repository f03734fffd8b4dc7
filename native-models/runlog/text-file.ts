import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { InvalidInputError, MalformedLineError } from '../../core/errors.js';

const gunzipAsync = promisify(gunzip);

/** A text input file read whole: its text (gzip undone, BOM dropped) and the sha256 of its bytes. */
export interface TextFile {
  path: string;
  text: string;
  sha256: string;
}

/** Reads a UTF-8 text file, gunzipping it when the name ends in `.gz`. */
export async function readTextFile(path: string): Promise<TextFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new InvalidInputError(`cannot read file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path);
  }
  let raw = bytes;
  if (path.endsWith('.gz')) {
    try {
      raw = await gunzipAsync(bytes);
    } catch (err) {
      throw new MalformedLineError(`not a valid gzip file (${(err as Error).message})`, path);
    }
  }
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { path, text, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Parses JSON Lines and yields each non-blank line's value with its 1-based line number. */
export function* parseJsonLines(file: TextFile): Generator<{ line: number; value: unknown }> {
  const { text, path } = file;
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(start, end);
    start = end + 1;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new MalformedLineError(`malformed JSON (${(err as Error).message})`, `${path}:${line}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new MalformedLineError('expected a JSON object on this line', `${path}:${line}`);
    }
    yield { line, value };
  }
}

/** Parses a whole JSON file, naming the file when it is malformed. */
export function parseJsonFile(file: TextFile): unknown {
  try {
    return JSON.parse(file.text);
  } catch (err) {
    throw new MalformedLineError(`malformed JSON (${(err as Error).message})`, file.path);
  }
}
