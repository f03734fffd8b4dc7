// Vitest global setup of the tiers that spawn the CLI: bin/cascade-lab.mjs runs the dist/node
// bundle and rebuilds it when stale, so bring it up to date once here rather than in several
// test files' subprocesses at the same moment.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const r = spawnSync(process.execPath, ['bin/build-node.mjs'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bin/build-node.mjs failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
}
