// An open-loop load generator: requests leave at an even pace whatever the server does, over
// keep-alive undici connections. Written here because autocannon's rate option does not pace:
// each connection sends its whole per-second budget back to back at the start of every second
// (lib/httpClient.js), so "500 requests/s" over 20 connections is a burst at concurrency 20
// followed by silence, and what it measures is queueing in that burst. wrk2, which paces
// properly, is not packaged for Debian.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface PacedRun {
  /** Each 2xx answer's time from send to its last byte, ms. */
  latencies: number[];
  sent: number;
  /** Non-2xx answers and failed requests. */
  errors: number;
  /** How late sends left against their schedule, ms: large values mean the generator, not the server, fell behind. */
  lags: number[];
  /** The numeric value of `PacedOptions.header` in each 2xx answer that carried it. */
  headerValues: number[];
}

export interface PacedOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  path: string;
  body: string;
  ratePerS: number;
  durationS: number;
  /** Most sockets open at once; enough that no request waits for one. Defaults to 256. */
  connections?: number;
  /** A response header with a number in it to collect, e.g. `x-cascade-overhead-ms`. */
  header?: string;
}

/** Sends `ratePerS × durationS` POSTs at an even pace and waits for every answer. */
export async function pacedLoad(options: PacedOptions): Promise<PacedRun> {
  const pool = new Pool(options.url, { connections: options.connections ?? 256, keepAliveTimeout: 30_000 });
  const interval = 1000 / options.ratePerS;
  const total = Math.round(options.ratePerS * options.durationS);
  const run: PacedRun = { latencies: [], sent: 0, errors: 0, lags: [], headerValues: [] };
  const headers = { 'content-type': 'application/json' };
  // A count, not a list of promises: holding every request's promise to the end would keep each
  // one alive through the generator's own young-generation GCs, and their pauses would show up as
  // late sends and as latency on every path.
  let outstanding = 0;
  let allSent = false;
  let drained: () => void = () => {};
  const done = new Promise<void>((resolve) => (drained = resolve));
  const settle = () => {
    if (--outstanding === 0 && allSent) drained();
  };

  const send = () => {
    const started = performance.now();
    outstanding++;
    pool
      .request({ path: options.path, method: 'POST', headers, body: options.body })
      .then(async (answer) => {
        await answer.body.dump({ limit: Infinity });
        if (answer.statusCode < 200 || answer.statusCode >= 300) return void run.errors++;
        run.latencies.push(performance.now() - started);
        const value = options.header === undefined ? undefined : answer.headers[options.header];
        if (typeof value === 'string') run.headerValues.push(Number(value));
      })
      .catch(() => void run.errors++)
      .finally(settle);
    run.sent++;
  };

  const t0 = performance.now();
  await new Promise<void>((sentAll) => {
    const tick = () => {
      const now = performance.now();
      while (run.sent < total && t0 + run.sent * interval <= now) {
        run.lags.push(now - (t0 + run.sent * interval));
        send();
      }
      if (run.sent >= total) return sentAll();
      setTimeout(tick, Math.max(0, t0 + run.sent * interval - performance.now()));
    };
    tick();
  });
  allSent = true;
  if (outstanding === 0) drained();
  await done;
  await pool.close();
  return run;
}

/** Runs `warmupS` seconds of the same load, untimed, then `pacedLoad(options)`, in a fresh process (bench/paced-process.ts). */
export function pacedLoadInProcess(options: PacedOptions, warmupS: number): Promise<PacedRun> {
  const script = join(import.meta.dirname, 'paced-process.ts');
  // From the repository root, where `--import tsx` resolves.
  const cwd = join(import.meta.dirname, '..');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, JSON.stringify({ ...options, warmupS })], { cwd, maxBuffer: 64 * 2 ** 20 }, (err, stdout) =>
      err ? reject(err) : resolve(JSON.parse(stdout) as PacedRun),
    );
  });
}
