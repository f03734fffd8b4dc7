import { readFileSync } from 'node:fs';
import { joinRunLogs, type RunLog } from '../../core/runlog.js';
import { loadRunLog } from '../../native-models/runlog/load.js';

/** Loads each --data path (any format loadRunLog reads) and joins them into one pool. */
export async function loadRunLogs(paths: readonly string[]): Promise<RunLog> {
  return joinRunLogs(await Promise.all(paths.map((p) => loadRunLog(p))));
}

/** Name and version of this tool, from package.json, for the config's provenance. */
export function toolInfo(): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}
