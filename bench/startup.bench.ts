// Launch to usable: `npm start` in browser mode (the launcher itself, as a user runs it), for the
// default workspace (the simulated pool) and for the shared data (`--data
// ../shared/data/zeroeval-gsm8k-crux`, about 2,100 queries × 18 models). From the launch, Chromium
// starts beside the app (as Electron's window would) and opens the URL as soon as it is printed.
// A launch is usable once (1) the server has printed its URL, (2) the first tune (k = auto) has
// returned, and (3) Chromium shows the app with the workspace loaded: the header names it and the
// first screen shows the tune's summary, real engine results. Each workspace is launched once
// cold (no tune cache: the engine tunes it) and then RUNS times warm (the same tune is read back
// from .cache/tunes, as on any later launch); each launch is printed, then the medians of the warm
// launches. Last, the round trip of a budget move (setOperatingPoint over HTTP), the slider's hot path.
// First of all, the CLI's start-up (`cascade-lab help` beside `node -e 0`; alone: `npm run bench -- cli-startup`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { chromium, type Browser } from 'playwright-core';
import WebSocket from 'ws';
import { createHttpClient } from '../renderer/api/http-client.js';
import { measureCliStartup } from './cli-startup.js';
import { median } from '../core/stats.js';

const RUNS = Number(process.env.STARTUP_RUNS ?? 3);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHARED = '../shared/data/zeroeval-gsm8k-crux';
const TUNE_CACHE = '.cache/tunes';

interface Workspace {
  name: string;
  args: string[];
  /** The header's workspace label. */
  label: RegExp;
  simulated: boolean;
}

const WORKSPACES: Workspace[] = [
  { name: 'default workspace (simulated pool)', args: [], label: /simulated/i, simulated: true },
  ...(existsSync(SHARED) ? [{ name: 'shared data (zeroeval-gsm8k-crux)', args: ['--data', SHARED], label: /zeroeval-gsm8k-crux/, simulated: false }] : []),
];

interface Launch {
  serverMs: number;
  tuneMs: number;
  pageMs: number;
  usableMs: number;
  /** When Chromium was up with a page open, ready to navigate: the browser's own share of the launch. */
  browserMs: number;
  fromCache: boolean;
  moveMs: number[];
  built: string[];
}

function launch(args: string[]): { child: ChildProcess; url: Promise<string>; built: () => string[] } {
  const child = spawn(process.execPath, ['bin/start.mjs', '--browser', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before printing its URL:\n${out}`)));
  });
  const built = () => [out.includes('building the renderer') && 'a renderer build', out.includes('bundling the Node side') && 'a Node-side bundle build'].filter((b): b is string => Boolean(b));
  return { child, url, built };
}

async function once(ws: Workspace): Promise<Launch> {
  const t0 = performance.now();
  const { child, url, built } = launch(ws.args);
  const browserStarting = chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  let browser: Browser | undefined;
  let browserMs = 0;
  try {
    const address = await url;
    const serverMs = performance.now() - t0;
    const { origin, searchParams } = new URL(address);
    const api = createHttpClient({ baseUrl: origin, token: searchParams.get('token')!, WebSocket: WebSocket as never });
    const page = (async () => {
      browser = await browserStarting;
      const p = await browser.newPage();
      browserMs = performance.now() - t0;
      await p.goto(address);
      await p.getByTestId('workspace-badge').getByText(ws.label).first().waitFor({ timeout: 120_000 });
      await p.getByTestId('tune-summary').waitFor({ timeout: 120_000 });
      return performance.now() - t0;
    })();
    const tuned = (async () => {
      const state = await api.getState();
      if (state.workspace?.simulated !== ws.simulated || !ws.label.test(state.workspace.label)) throw new Error(`launched on "${state.workspace?.label}", not the ${ws.name}`);
      const report = await api.tune({ k: 'auto' });
      return { tuneMs: performance.now() - t0, fromCache: report.fromCache };
    })();
    const [pageMs, { tuneMs, fromCache }] = await Promise.all([page, tuned]);
    const usableMs = Math.max(serverMs, tuneMs, pageMs);
    const { regions } = await api.getBudget();
    const moveMs: number[] = [];
    for (let i = 0; i < 100; i++) {
      const started = performance.now();
      await api.setOperatingPoint({ lambda: regions[i % regions.length].lambdaFrom });
      moveMs.push(performance.now() - started);
    }
    return { serverMs, tuneMs, pageMs, usableMs, browserMs, fromCache, moveMs, built: built() };
  } finally {
    await (browser ?? (await browserStarting.catch(() => undefined)))?.close();
    child.kill('SIGINT');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  }
}

const ms = (x: number) => `${x.toFixed(0)} ms`;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

console.log('\nCLI start-up');
const summary: string[] = [measureCliStartup()];
const moves: number[] = [];
for (const ws of WORKSPACES) {
  console.log(`\n${ws.name}`);
  const warm: Launch[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const cold = i === 0;
    if (cold) rmSync(TUNE_CACHE, { recursive: true, force: true });
    const r = await once(ws);
    moves.push(...r.moveMs);
    if (!cold) warm.push(r);
    console.log(
      `  ${cold ? 'cold (no tune cache)' : `warm ${i}`}: server up ${ms(r.serverMs)}, first tune done ${ms(r.tuneMs)}${r.fromCache ? ' (read back from the tune cache)' : ''}, ` +
      `page usable ${ms(r.pageMs)} → launch to usable ${ms(r.usableMs)}${r.built.length ? ` (included ${r.built.join(' and ')})` : ''}; ` +
      `Chromium had a page open at ${ms(r.browserMs)}; load average ${load()}`,
    );
  }
  const line = `${ws.name}: median of ${RUNS} warm launches: server up ${ms(median(warm.map((r) => r.serverMs)))}, first tune done ${ms(median(warm.map((r) => r.tuneMs)))}, ` +
    `page usable ${ms(median(warm.map((r) => r.pageMs)))}, launch to usable ${ms(median(warm.map((r) => r.usableMs)))}`;
  console.log(`  ${line}`);
  summary.push(line);
}
moves.sort((a, b) => a - b);
console.log(`\nbudget move round trip (setOperatingPoint over HTTP, ${moves.length} calls): median ${median(moves).toFixed(2)} ms, p95 ${moves[Math.floor(moves.length * 0.95)].toFixed(2)} ms`);
for (const line of summary) console.log(line);
console.log(`load average now: ${load()} (${cpus().length} cores)`);
