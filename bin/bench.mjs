#!/usr/bin/env node
// Runs every benchmark in bench/ one after another (they time things, so never in parallel)
// and prints their figures. `npm run bench -- engine serve` runs only the named ones.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wanted = process.argv.slice(2);
const benches = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace('.bench.ts', '')))
  .sort();
if (benches.length === 0) {
  console.error(`bench: nothing matches ${wanted.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file} ===`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', join('bench', file)], { cwd: root, stdio: 'inherit' });
  console.log(`=== ${file}: ${run.status === 0 ? 'ok' : `exit ${run.status}`} in ${((Date.now() - started) / 1000).toFixed(1)} s ===`);
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
