import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { parseSavedWorkspace, type SavedWorkspace } from '../../core/workspace-file.js';
import { readJsonFile } from '../../native-models/json-file.js';

/** The file a workspace is saved in, inside the app's state folder. */
export function workspaceFile(dir: string): string {
  return join(dir, 'workspace.json');
}

/** The workspace saved in `dir`, or null when none was saved; a malformed file is an error naming it. */
export async function readSavedWorkspace(dir: string): Promise<SavedWorkspace | null> {
  const file = workspaceFile(dir);
  if (!existsSync(file)) return null;
  const value = await readJsonFile(file, 'the saved workspace');
  return parseSavedWorkspace(value, file);
}

/** Saves the workspace atomically: a crash mid-write leaves the previous file whole. */
export async function writeSavedWorkspace(dir: string, saved: SavedWorkspace): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(workspaceFile(dir), `${JSON.stringify(saved, null, 2)}\n`);
}
