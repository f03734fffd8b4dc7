// The machine's own stalls, measured beside the serve benchmark. An otherwise idle process asks
// for a 1 ms timer again and again and records how late each one fires. No process on the
// machine, the router included, can answer sooner than the machine lets it run, so a turn's
// p99 is read against this. On the 2-core VM the benchmark was written on, such a process woke
// up to 25 ms late several times in 5 s while the load ran, with the CPUs half idle.
//   forked by bench/serve.bench.ts (`startStallObserver`); each 'window' message is answered
//   with the lateness since the previous one.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface Stalls {
  /** The latest the 1 ms timer fired, ms after it was due. */
  max: number;
  /** Wake-ups more than 5 ms late. */
  over5: number;
}

export interface StallObserver {
  /** The stalls since the previous call (or since the start), and a fresh window from now. */
  window(): Promise<Stalls>;
  stop(): void;
}

/** Forks the observer (this file, run as a script) and waits until it is timing. */
export async function startStallObserver(): Promise<StallObserver> {
  const child = fork(import.meta.filename, ['--observe'], { execArgv: ['--import', 'tsx'], cwd: join(import.meta.dirname, '..'), stdio: 'inherit' });
  await new Promise<void>((ready, fail) => {
    child.once('message', () => ready());
    child.once('exit', (code) => fail(new Error(`the stall observer exited ${code}`)));
  });
  return {
    window: () =>
      new Promise((answer) => {
        child.once('message', (stalls) => answer(stalls as Stalls));
        child.send('window');
      }),
    stop: () => void child.kill('SIGTERM'),
  };
}

if (process.argv.includes('--observe')) {
  // Preallocated, so the observer's own young-generation GCs stay rare and short.
  const lateness = new Float64Array(1 << 17);
  let n = 0;
  let previous = performance.now();
  const tick = () => {
    const now = performance.now();
    if (n < lateness.length) lateness[n++] = now - previous - 1;
    previous = now;
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  process.on('message', () => {
    const xs = lateness.subarray(0, n);
    n = 0;
    process.send!({ max: xs.reduce((a, b) => Math.max(a, b), 0), over5: xs.filter((x) => x > 5).length } satisfies Stalls);
  });
  // Never outlive the benchmark, however it ends.
  process.on('disconnect', () => process.exit(0));
  process.send!('ready');
}
