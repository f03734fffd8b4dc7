import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../core/errors.js';

/** A JSON file's value, for a schema to check; an unreadable file or malformed JSON is an error naming the file and `what` it holds. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidInputError(`malformed JSON (${(err as Error).message})`, path);
  }
}
