import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { InvalidInputError } from '../../core/errors.js';

/** Checks, before a slow command runs, that its output file can go where it is asked to: its folder exists. */
export function checkOutFile(file: string, flag: string): void {
  const dir = dirname(resolve(file));
  if (!existsSync(dir)) throw new InvalidInputError(`the folder ${dir} of ${file} does not exist`, flag);
  if (!statSync(dir).isDirectory()) throw new InvalidInputError(`${dir} (the folder of ${file}) is not a folder`, flag);
  if (existsSync(file) && statSync(file).isDirectory()) throw new InvalidInputError(`${file} is a folder: name a file`, flag);
}

/** Writes a command's output atomically; a failure (permissions, a full disk) names the file and its flag. */
export async function writeOutFile(file: string, text: string, flag: string): Promise<void> {
  try {
    await writeFileAtomic(file, text);
  } catch (err) {
    throw new InvalidInputError(`cannot write ${file}: ${(err as Error).message}`, flag);
  }
}
