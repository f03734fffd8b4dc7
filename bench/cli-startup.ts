// Start-up of the CLI as a user meets it: `cascade-lab help` (bin/cascade-lab.mjs, which runs the
// dist/node bundle) beside a bare `node -e 0` on the same machine at the same moment, runs
// interleaved so both see the same load; and `npx cascade-lab help`, which adds npm's own start-up.
// One unmeasured call first brings the bundle up to date.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { median } from '../core/stats.js';
import { quantile } from './stats.js';

function timed(command: string, args: string[]): number {
  const started = performance.now();
  const r = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return elapsed;
}

/** Prints each figure and returns the summary line. */
export function measureCliStartup(runs = 15, npxRuns = 5): string {
  timed(process.execPath, ['bin/cascade-lab.mjs', 'help']);
  const bare: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(timed(process.execPath, ['-e', '0']));
    help.push(timed(process.execPath, ['bin/cascade-lab.mjs', 'help']));
  }
  const npx = Array.from({ length: npxRuns }, () => timed('npx', ['--no-install', 'cascade-lab', 'help']));
  const f = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, p90 ${quantile(xs, 0.9).toFixed(0)})`;
  console.log(`  node -e 0                      ${f(bare)} over ${runs} runs`);
  console.log(`  node bin/cascade-lab.mjs help  ${f(help)} over ${runs} runs`);
  console.log(`  npx cascade-lab help           ${f(npx)} over ${npxRuns} runs`);
  console.log(`  load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cores)`);
  return `CLI start-up: cascade-lab help median ${median(help).toFixed(0)} ms (npx: ${median(npx).toFixed(0)} ms) beside node -e 0 median ${median(bare).toFixed(0)} ms`;
}
