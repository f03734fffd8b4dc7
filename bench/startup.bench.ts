// Launch to usable: `npm start` in browser mode (the launcher itself, as a user runs it), until
// (1) the server prints its URL, (2) the first tune of the default (simulated) workspace returns,
// (3) Chromium shows the app with its workspace loaded. Three launches; prints each and the median,
// then the round trip of a budget move (setOperatingPoint over HTTP), the slider's hot path.
import { spawn, type ChildProcess } from 'node:child_process';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { createHttpClient } from '../renderer/api/http-client.js';

const RUNS = 3;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function launch(): { child: ChildProcess; url: Promise<string>; built: () => boolean } {
  const child = spawn(process.execPath, ['bin/start.mjs', '--browser'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before printing its URL:\n${out}`)));
  });
  return { child, url, built: () => out.includes('building the renderer') };
}

async function once(): Promise<{ serverMs: number; tuneMs: number; pageMs: number; moveMs: number[]; built: boolean }> {
  const t0 = performance.now();
  const { child, url, built } = launch();
  try {
    const address = await url;
    const serverMs = performance.now() - t0;
    const { origin, searchParams } = new URL(address);
    const api = createHttpClient({ baseUrl: origin, token: searchParams.get('token')!, WebSocket: WebSocket as never });
    const state = await api.getState();
    if (!state.workspace?.simulated) throw new Error('the default workspace is not the simulated pool');
    await api.tune({ k: 'auto' });
    const tuneMs = performance.now() - t0;
    const { regions } = await api.getBudget();
    const moveMs: number[] = [];
    for (let i = 0; i < 100; i++) {
      const started = performance.now();
      await api.setOperatingPoint({ lambda: regions[i % regions.length].lambdaFrom });
      moveMs.push(performance.now() - started);
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(address);
      await page.getByTestId('workspace-badge').getByText(/simulated/i).first().waitFor({ timeout: 60_000 });
      return { serverMs, tuneMs, pageMs: performance.now() - t0, moveMs, built: built() };
    } finally {
      await browser.close();
    }
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  }
}

const rows = [];
for (let i = 0; i < RUNS; i++) {
  const r = await once();
  rows.push(r);
  console.log(`launch ${i + 1}: server up ${r.serverMs.toFixed(0)} ms, first tune done ${r.tuneMs.toFixed(0)} ms, page usable ${r.pageMs.toFixed(0)} ms${r.built ? ' (included a renderer build)' : ''}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const moves = rows.flatMap((r) => r.moveMs).sort((a, b) => a - b);
console.log(`budget move round trip (setOperatingPoint over HTTP, ${moves.length} calls): median ${median(moves).toFixed(2)} ms, p95 ${moves[Math.floor(moves.length * 0.95)].toFixed(2)} ms`);
console.log(`median of ${RUNS}: server up ${median(rows.map((r) => r.serverMs)).toFixed(0)} ms, first tune done ${median(rows.map((r) => r.tuneMs)).toFixed(0)} ms, page usable ${median(rows.map((r) => r.pageMs)).toFixed(0)} ms (each measured from launch)`);
