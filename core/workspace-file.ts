import { z } from 'zod';
import { PoolFileSchema, SettingsSchema, WorkspaceSourceSchema, type PoolFile, type Settings, type WorkspaceSource } from './app-api.js';
import { parsePoolFile } from './pool.js';
import { parseOrThrow } from './runlog.js';

/**
 * What the app keeps of a workspace between launches: where its run log came from, its settings
 * and its live pool. An uploaded run log (browser mode) has no path to reopen, so its source is
 * saved as null and only the settings and pool come back.
 */
export const SavedWorkspaceSchema = z.object({
  version: z.literal(1),
  source: WorkspaceSourceSchema.nullable(),
  settings: SettingsSchema,
  pool: PoolFileSchema.nullable(),
}).strict();

export interface SavedWorkspace {
  version: 1;
  source: WorkspaceSource | null;
  settings: Settings;
  pool: PoolFile | null;
}

/** Reads a saved workspace's JSON value; `where` names the file in errors (the pool's own checks included). */
export function parseSavedWorkspace(value: unknown, where: string): SavedWorkspace {
  const saved = parseOrThrow(SavedWorkspaceSchema, value, where);
  return { ...saved, pool: saved.pool && parsePoolFile(saved.pool, where) };
}

/** The saved form of a workspace: an upload's text is never written (it may be hundreds of megabytes). */
export function savedWorkspace(source: WorkspaceSource, settings: Settings, pool: PoolFile | null): SavedWorkspace {
  return { version: 1, source: source.kind === 'upload' ? null : source, settings, pool };
}
