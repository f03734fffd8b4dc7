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
  /**
   * The text's UTF-8 bytes, when the file was read from disk. JSON Lines are decoded line by
   * line from them: a line then stays a one-byte string unless it holds non-ASCII, which
   * parses several times faster than slices of one big two-byte string.
   */
  bytes?: Buffer;
}

const LFS_POINTER = Buffer.from('version https://git-lfs.github.com/spec/');

/**
 * A Git LFS pointer: the small text stub a clone without `git lfs` holds in place of a large file
 * (lfs spec: the first line is always `version https://git-lfs.github.com/spec/v1`).
 */
function isLfsPointer(bytes: Buffer): boolean {
  return bytes.length < 1024 && bytes.subarray(0, LFS_POINTER.length).equals(LFS_POINTER);
}

/** Reads a UTF-8 text file, gunzipping it when the name ends in `.gz`. */
export async function readTextFile(path: string): Promise<TextFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new InvalidInputError(`cannot read file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path);
  }
  if (isLfsPointer(bytes)) {
    throw new InvalidInputError('this is a Git LFS pointer, not the file itself: fetch the content with `git lfs pull` (or download the file) and try again', path);
  }
  let raw = bytes;
  if (path.endsWith('.gz')) {
    try {
      // One output chunk the size the gzip trailer announces (ISIZE, mod 2^32): no per-16-KiB callbacks and no final concatenation.
      const announced = bytes.length >= 18 ? bytes.readUInt32LE(bytes.length - 4) : 0;
      raw = await gunzipAsync(bytes, { chunkSize: Math.min(Math.max(announced + 1, 64 * 1024), 512 * 1024 * 1024) });
    } catch (err) {
      throw new MalformedLineError(`not a valid gzip file (${(err as Error).message})`, path);
    }
  }
  // A UTF-8 byte-order mark (EF BB BF) is dropped, as the decoder would keep it as U+FEFF.
  const body = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? raw.subarray(3) : raw;
  let text: string | undefined;
  return {
    path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: body,
    // Decoded on first use: a JSON Lines reader never needs the whole text.
    get text() {
      text ??= body.toString('utf8');
      return text;
    },
  };
}

/** The lines of a file with their 1-based numbers, split on "\n" (a byte that never occurs inside a UTF-8 sequence). */
function* linesOf(file: TextFile): Generator<{ line: number; raw: string }> {
  const { bytes } = file;
  let line = 0;
  if (bytes) {
    for (let start = 0; start <= bytes.length;) {
      let end = bytes.indexOf(10, start);
      if (end < 0) end = bytes.length;
      yield { line: ++line, raw: bytes.toString('utf8', start, end) };
      start = end + 1;
    }
    return;
  }
  const { text } = file;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    yield { line: ++line, raw: text.slice(start, end) };
    start = end + 1;
  }
}

/** Parses JSON Lines and yields each non-blank line's value with its 1-based line number. */
export function* parseJsonLines(file: TextFile): Generator<{ line: number; value: unknown }> {
  const { path } = file;
  for (const { line, raw } of linesOf(file)) {
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
