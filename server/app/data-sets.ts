import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { DataSetInfo } from '../../core/app-api.js';
import { looksLikeLmEval } from '../../native-models/runlog/lm-eval.js';
import { sharedFormatFiles } from '../../native-models/runlog/shared-format.js';

/** The id of the built-in simulated pool. */
export const SIMULATED_ID = 'simulated';

/** The first paragraph of a folder's README (after its title), for the data-set picker. */
function describe(dir: string): string {
  const readme = join(dir, 'README.md');
  if (!existsSync(readme)) return '';
  const lines = readFileSync(readme, 'utf8').split('\n');
  const title = lines.findIndex((l) => l.startsWith('#'));
  const body = lines.slice(title + 1).join('\n').trim().split(/\n\s*\n/)[0] ?? '';
  return body.replace(/\s+/g, ' ').slice(0, 400);
}

/**
 * Every data set the app offers: the simulated pool first (when its folder exists), then each
 * run-log folder directly under the data folders, by name: the shared format, or lm-eval
 * `--output_path` output (read with the prices.json beside it).
 */
export async function findDataSets(dataDirs: readonly string[], simulatedDir: string | null): Promise<DataSetInfo[]> {
  const out: DataSetInfo[] = [];
  if (simulatedDir && sharedFormatFiles(simulatedDir)) {
    out.push({
      id: SIMULATED_ID,
      label: 'Simulated pool (made-up data)',
      kind: 'simulated',
      path: resolve(simulatedDir),
      simulated: true,
      description: describe(simulatedDir) || 'A seeded, simulated run log shipped with Cascade Lab so the playground works offline; its figures are not measurements.',
    });
  }
  for (const root of dataDirs) {
    if (!existsSync(root)) continue;
    const dirs = sharedFormatFiles(root) ? [root] : readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(root, e.name)).sort();
    for (const dir of dirs) {
      const info = { label: basename(dir), path: resolve(dir), simulated: false, description: describe(dir) };
      if (sharedFormatFiles(dir)) out.push({ id: `shared:${basename(dir)}`, kind: 'shared-folder', ...info });
      // An unreadable folder is not a data set; it must not hide the others.
      else if (await looksLikeLmEval(dir).catch(() => false)) out.push({ id: `lm-eval:${basename(dir)}`, kind: 'lm-eval-folder', ...info });
    }
  }
  return out;
}
