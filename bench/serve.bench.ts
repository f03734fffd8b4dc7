// Serving benchmark: router overhead in front of an upstream that answers at once, 2,000
// concurrent streams, and memory over a soak. Prints figures; asserts nothing.
//
//   npx tsx bench/serve.bench.ts           full run (5-minute soak, about 10 minutes)
//   npx tsx bench/serve.bench.ts --quick   short phases and a 30 s soak (or SERVE_BENCH_QUICK=1)
//   npx tsx bench/serve.bench.ts --overhead-only   phase 1 alone (router overhead)
//
// Four processes share the machine: the load generator (for the paced turns a fresh lean process
// each, bench/paced-process.ts; autocannon runs in this one); the upstream (bench/upstream-process.ts) answers at once, in a process of its own
// as a real backend would be; the endpoint (`cascade-lab serve`, as users run it); and a bare
// Node proxy (bench/bare-proxy.ts) measured the same way, which gives the floor: what one HTTP
// hop costs here before any routing. On a 2-core machine they all compete for CPU with each
// other and with anything else running, so the figures are upper bounds of what the router costs.
// A fifth, idle process (bench/stall-observer.ts) records how long the machine itself left
// processes waiting during each turn.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tune } from '../core/tune.js';
import { loadRunLog } from '../native-models/runlog/load.js';
import { pacedLoadInProcess, type PacedRun } from './paced-load.js';
import { startStallObserver, type Stalls } from './stall-observer.js';
import { quantile } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick') || process.env.SERVE_BENCH_QUICK === '1';
const OVERHEAD_ONLY = process.argv.includes('--overhead-only');
const PHASE_S = QUICK ? 10 : 30;
const ROUNDS = QUICK ? 2 : 6;
const SOAK_S = QUICK ? 30 : 300;
const RATE = 500;
const WARMUP_S = 1;
const STREAMS = 2000;
const SOAK_RATE = 200;
const SEQUENTIAL = 2000;

interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { sent: number; average: number };
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (opts: Record<string, unknown>, done: (err: Error | null, result: AutocannonResult) => void) => AutocannonInstance;
// autocannon ships no types; only the calls used here are typed above.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Runs autocannon and collects every response's own latency (float ms), not just its integer histogram. */
function load(opts: Record<string, unknown>): Promise<{ result: AutocannonResult; latencies: number[] }> {
  const latencies: number[] = [];
  return new Promise((resolvePromise, reject) => {
    const instance = autocannon({ method: 'POST', headers: { 'content-type': 'application/json' }, ...opts }, (err, result) => (err ? reject(err) : resolvePromise({ result, latencies })));
    instance.on('response', (_c, status, _b, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

function summary(latencies: number[]) {
  return { n: latencies.length, p50: quantile(latencies, 0.5), p90: quantile(latencies, 0.9), p99: quantile(latencies, 0.99) };
}

const fmt = (ms: number) => `${ms.toFixed(3)} ms`;

/** User + system CPU time a process has used so far, ms (from /proc, so it counts a child too). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** The serve process's V8 heap in use, MiB, from its own /metrics. */
async function heapUsedMiB(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1] ?? Number.NaN) / 2 ** 20;
}

/** Spawns a Node process and waits for the URL it prints ("listening on URL"). */
async function startListening(args: string[], what: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolveUrl(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`${what} exited ${code}`)));
  });
  return { child, url };
}

function startServe(configPath: string, poolPath: string, map: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const args = [join(ROOT, 'bin/cascade-lab.mjs'), 'serve', '--config', configPath, '--pool', poolPath, '--port', '0', '--no-watch'];
  for (const [model, tier] of Object.entries(map)) args.push('--map', `${model}=${tier}`);
  return startListening(args, 'cascade-lab serve');
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'serve-bench-'));
  console.log(`serve bench (${QUICK ? 'quick' : 'full'}): ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const log = await loadRunLog(join(ROOT, '../shared/data/zeroeval-gsm8k-crux'));
  // Stage 1 only: every request makes exactly one upstream call, so what is measured is the
  // router itself, not the extra passes a cascade plan pays for by design.
  const { config } = await tune(log, { k: 4, cascade: false });
  const configPath = join(dir, 'tuned.json');
  writeFileSync(configPath, JSON.stringify(config));
  const prompt = log.queries.find((q) => q.task === 'gsm8k')!.prompt;

  // The upstream answers at once with one short word: what remains is transport and routing.
  const up = await startListening(['--import', 'tsx', join(ROOT, 'bench/upstream-process.ts')], 'upstream');
  const upstreamBase = up.url;
  const upstreamV1 = `${up.url}/v1`;
  const poolPath = join(dir, 'pool.json');
  writeFileSync(poolPath, JSON.stringify({ version: 1, tiers: [{ kind: 'cloud', name: 'up', baseUrl: upstreamV1, model: 'up', usdPerMtokIn: 0.15, usdPerMtokOut: 0.6, concurrency: 256 }] }));
  const map = Object.fromEntries(config.pool.map((p) => [p.model, 'up']));
  const { child, url } = await startServe(configPath, poolPath, map);
  const proxy = await startListening(['--import', 'tsx', join(ROOT, 'bench/bare-proxy.ts'), upstreamBase], 'bare proxy');
  const body = (model: string, stream = false) => JSON.stringify({ model, messages: [{ role: 'user', content: prompt }], stream });

  try {
    // Warm both paths (JIT, keep-alive sockets) before measuring.
    await load({ url: `${url}/v1/chat/completions`, body: body('cascade'), connections: 10, amount: 2000 });
    await load({ url: `${upstreamBase}/v1/chat/completions`, body: body('up'), connections: 10, amount: 2000 });
    await load({ url: `${proxy.url}/v1/chat/completions`, body: body('up'), connections: 10, amount: 2000 });

    console.log(`\n1. Router overhead at ${RATE} requests/s, paced evenly (open loop), ${PHASE_S} s per path in ${ROUNDS} turns, non-streamed, keep-alive:`);
    // The paths take turns, a few seconds each, so a burst of noise on the machine lands on all of
    // them alike. Each turn starts with a second of the same load, not timed: a process idle
    // through the other paths' turns has had its heap shrunk by V8 and pays for regrowing it.
    const paced = (target: string, model: string) =>
      pacedLoadInProcess({ url: target, path: '/v1/chat/completions', body: body(model), ratePerS: RATE, durationS: PHASE_S / ROUNDS, header: 'x-cascade-overhead-ms' }, WARMUP_S);
    const runs = { direct: [] as PacedRun[], bare: [] as PacedRun[], routed: [] as PacedRun[], bypass: [] as PacedRun[] };
    const stalls = { direct: [] as Stalls[], bare: [] as Stalls[], routed: [] as Stalls[], bypass: [] as Stalls[] };
    const observer = await startStallObserver();
    const turn = async (path: keyof typeof runs, target: string, model: string) => {
      await observer.window();
      runs[path].push(await paced(target, model));
      stalls[path].push(await observer.window());
    };
    let servedCpuMs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await turn('direct', upstreamBase, 'up');
      await turn('bare', proxy.url, 'up');
      const cpu0 = cpuMs(child.pid!);
      await turn('routed', url, 'cascade');
      servedCpuMs += cpuMs(child.pid!) - cpu0;
      await turn('bypass', url, 'up');
    }
    observer.stop();
    const pooled = (all: PacedRun[]): PacedRun => ({
      latencies: all.flatMap((r) => r.latencies),
      lags: all.flatMap((r) => r.lags),
      headerValues: all.flatMap((r) => r.headerValues),
      sent: all.reduce((n, r) => n + r.sent, 0),
      errors: all.reduce((n, r) => n + r.errors, 0),
    });
    const [direct, bare, routed, bypass] = [pooled(runs.direct), pooled(runs.bare), pooled(runs.routed), pooled(runs.bypass)];
    // The serve process also answered each turn's warm-up.
    const cpuPerRequest = servedCpuMs / (routed.sent + ROUNDS * RATE * WARMUP_S);
    const d = summary(direct.latencies);
    const p = summary(bare.latencies);
    const r = summary(routed.latencies);
    const b = summary(bypass.latencies);
    const line = (what: string, x: ReturnType<typeof summary>, run: PacedRun) =>
      console.log(`   ${what.padEnd(29)}p50 ${fmt(x.p50)}  p90 ${fmt(x.p90)}  p99 ${fmt(x.p99)}  (${x.n} answers, ${run.errors} errors; sends late by p99 ${fmt(summary(run.lags).p99)})`);
    line('upstream directly:', d, direct);
    line('bare Node proxy (one hop):', p, bare);
    line('through serve, routed:', r, routed);
    line('through serve, tier by name:', b, bypass);
    console.log(`   extra for one bare hop:      p50 ${fmt(p.p50 - d.p50)}  p99 ${fmt(p.p99 - d.p99)}   (the floor for any Node router on this machine)`);
    console.log(`   extra for routing:           p50 ${fmt(r.p50 - d.p50)}  p99 ${fmt(r.p99 - d.p99)}   (targets: p50 ≤ 0.5 ms, p99 ≤ 2 ms)`);
    console.log(`   extra for a tier by name:    p50 ${fmt(b.p50 - d.p50)}  p99 ${fmt(b.p99 - d.p99)}`);
    // A burst of noise on the machine can own a pooled p99; each turn against the direct turn beside it shows how much.
    const show = (xs: number[]) => `${fmt(quantile(xs, 0.5))} [${fmt(Math.min(...xs))}, ${fmt(Math.max(...xs))}]`;
    const turns = (what: string, path: PacedRun[]) => {
      const extra = path.map((run, i) => ({ x: summary(run.latencies), y: summary(runs.direct[i].latencies) })).map(({ x, y }) => ({ p50: x.p50 - y.p50, p99: x.p99 - y.p99 }));
      console.log(`   ${what.padEnd(29)}p50 ${show(extra.map((e) => e.p50))}  p99 ${show(extra.map((e) => e.p99))}`);
    };
    console.log(`   the same extra turn by turn, median [least, most] of ${ROUNDS}:`);
    turns('bare hop:', runs.bare);
    turns('routing:', runs.routed);
    turns('tier by name:', runs.bypass);
    // The machine's own stalls land on whichever path's turn they fall in; these say how much of a turn's p99 is the machine's.
    console.log(`   the machine's own stalls per turn (an idle process's 1 ms timer, late by at most; warm-up second included), median [least, most]:`);
    const stallLine = (what: string, path: Stalls[]) => console.log(`   ${what.padEnd(29)}${show(path.map((s) => s.max))}   (wake-ups over 5 ms late: ${path.map((s) => s.over5).join(' ')})`);
    stallLine('during direct turns:', stalls.direct);
    stallLine('during bare-hop turns:', stalls.bare);
    stallLine('during routed turns:', stalls.routed);
    stallLine('during tier-by-name turns:', stalls.bypass);
    const own = summary(routed.headerValues);
    console.log(`   serve's own time per routed request (x-cascade-overhead-ms: parse, embed, route, answer; no tier call): p50 ${fmt(own.p50)}  p99 ${fmt(own.p99)}`);
    console.log(`   serve's CPU time per routed request: ${cpuPerRequest.toFixed(3)} ms`);

    // For comparison, autocannon's own rate option: it sends each connection's per-second budget
    // back to back, so the router meets bursts of 20 at once and later requests queue behind them.
    const burst = summary((await load({ url: `${url}/v1/chat/completions`, body: body('cascade'), connections: 20, overallRate: RATE, duration: PHASE_S })).latencies);
    console.log(`   routed, autocannon's bursty ${RATE}/s (20 connections): p50 ${fmt(burst.p50)}  p99 ${fmt(burst.p99)}`);
    const most = await load({ url: `${url}/v1/chat/completions`, body: body('cascade'), connections: 20, duration: PHASE_S });
    console.log(`   routed, closed loop (20 connections, no pacing): ${(most.latencies.length / PHASE_S).toFixed(0)} requests/s answered, p50 ${fmt(summary(most.latencies).p50)}`);

    console.log(`\n   One request at a time (one connection, ${SEQUENTIAL} requests per path, no queueing):`);
    const one = async (target: string, model: string) => summary((await load({ url: `${target}/v1/chat/completions`, body: body(model), connections: 1, amount: SEQUENTIAL })).latencies);
    const sd = await one(upstreamBase, 'up');
    const sp = await one(proxy.url, 'up');
    const sr = await one(url, 'cascade');
    const seq = (what: string, x: ReturnType<typeof summary>) => console.log(`   ${what.padEnd(29)}p50 ${fmt(x.p50)}  p90 ${fmt(x.p90)}  p99 ${fmt(x.p99)}`);
    seq('upstream directly:', sd);
    seq('bare Node proxy (one hop):', sp);
    seq('through serve, routed:', sr);
    console.log(`   extra for one bare hop:      p50 ${fmt(sp.p50 - sd.p50)}  p99 ${fmt(sp.p99 - sd.p99)}`);
    console.log(`   extra for routing:           p50 ${fmt(sr.p50 - sd.p50)}  p99 ${fmt(sr.p99 - sd.p99)}`);

    if (OVERHEAD_ONLY) return;

    console.log(`\n2. ${STREAMS} concurrent streams (stream: true), all opened at once:`);
    const streams = await load({ url: `${url}/v1/chat/completions`, body: body('cascade', true), connections: STREAMS, amount: STREAMS, timeout: 120 });
    const s = summary(streams.latencies);
    const codes = Object.entries(streams.result.statusCodeStats).map(([code, v]) => `${code}×${v.count}`).join(' ');
    console.log(`   ${streams.result.requests.sent} sent, ${s.n} answered 2xx, errors ${streams.result.errors}, timeouts ${streams.result.timeouts}, non-2xx ${streams.result.non2xx} (${codes}); p50 ${fmt(s.p50)} p99 ${fmt(s.p99)}`);
    const failures = (await (await fetch(`${url}/metrics`)).text()).split('\n').filter((l) => l.startsWith('cascade_fallbacks_total'));
    if (failures.length > 0) console.log(`   tier failures: ${failures.join('; ')}`);

    console.log(`\n3. Soak at ${SOAK_RATE} requests/s for ${SOAK_S} s (RSS and V8 heap of the serve process):`);
    const sample = async () => ({ rss: rssMiB(child.pid!), heap: await heapUsedMiB(url) });
    const samples = [await sample()];
    const sampler = setInterval(() => void sample().then((s) => samples.push(s)), 10_000);
    const soak = await load({ url: `${url}/v1/chat/completions`, body: body('cascade'), connections: 20, overallRate: SOAK_RATE, duration: SOAK_S });
    clearInterval(sampler);
    samples.push(await sample());
    const first = samples[0];
    const last = samples[samples.length - 1];
    console.log(`   ${soak.latencies.length} answers, ${soak.result.errors + soak.result.non2xx + soak.result.timeouts} errors; RSS start ${first.rss.toFixed(1)} MiB, end ${last.rss.toFixed(1)} MiB, max ${Math.max(...samples.map((s) => s.rss)).toFixed(1)} MiB; heap used start ${first.heap.toFixed(1)} MiB, end ${last.heap.toFixed(1)} MiB`);
    console.log(`   RSS every 10 s:  ${samples.map((s) => s.rss.toFixed(0)).join(' ')}`);
    console.log(`   heap every 10 s: ${samples.map((s) => s.heap.toFixed(0)).join(' ')}`);
  } finally {
    proxy.child.kill('SIGTERM');
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    up.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
