// I/O benchmark: run-log load time and peak memory (each load in a fresh child process), CSV
// import, grader and tokenizer throughput, and embedding with and without the on-disk cache.
// Run: npx tsx bench/io.bench.ts
// Targets (2-core machine): load zeroeval-gsm8k-crux ≤ 2 s and ≤ 400 MB peak RSS; graders ≥ 50k
// responses/s; tokenizer ≥ 1M tokens/s after loading; a cached embedding ≥ 20× faster than a GGUF one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import { gradeExactMatch, gradeNumeric, gradePythonLiteral } from '../core/graders.js';
import { createEmbedder } from '../native-models/embedders/index.js';
import { loadRunLog } from '../native-models/runlog/load.js';
import { o200kCounter } from '../native-models/tokenizer.js';
import { median } from '../core/stats.js';

const here = fileURLToPath(import.meta.url);
const repoRoot = path.resolve(path.dirname(here), '..');
const sharedDir = path.resolve(repoRoot, '../shared/data/zeroeval-gsm8k-crux');
const simulatedDir = path.resolve(repoRoot, 'fixtures/simulated');
const stories = path.resolve(repoRoot, '../shared/models/stories260K.gguf');

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Child mode: load one run log, print the time and the RSS high-water mark as JSON. */
async function child(target: string): Promise<void> {
  const t0 = performance.now();
  const log = await loadRunLog(target, { countTokens: false });
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, peakMb: process.resourceUsage().maxRSS / 1024, responses: log.responses.length }));
}

function loadInChild(target: string): { ms: number; peakMb: number; responses: number } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', here, '--child', target], { cwd: repoRoot, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function benchLoad(label: string, target: string, runs = 3): void {
  const results = Array.from({ length: runs }, () => loadInChild(target));
  console.log(`load ${label}: ${fmt(results[0].responses)} responses, median ${fmt(median(results.map((r) => r.ms)))} ms, peak RSS ${fmt(median(results.map((r) => r.peakMb)))} MB (${runs} fresh processes)`);
}

async function main(): Promise<void> {
  benchLoad('zeroeval-gsm8k-crux (shared folder, gzip)', sharedDir);
  benchLoad('fixtures/simulated', simulatedDir);

  const log = await loadRunLog(sharedDir, { countTokens: false });
  const tmp = mkdtempSync(path.join(tmpdir(), 'cl-io-bench-'));
  try {
    const byQid = new Map(log.queries.map((q) => [q.qid, q]));
    const csv = Papa.unparse(log.responses.map((r) => {
      const q = byQid.get(r.qid)!;
      return { qid: r.qid, model: r.model, prompt: q.prompt, response: r.response, correct: r.correct, task: q.task, reference: q.reference };
    }));
    const csvPath = path.join(tmp, 'zeroeval.csv');
    writeFileSync(csvPath, csv);
    benchLoad(`the same as one long-format CSV (${fmt(csv.length / 1e6, 1)} MB)`, csvPath);

    const gsm = log.responses.filter((r) => byQid.get(r.qid)!.task === 'gsm8k');
    const crux = log.responses.filter((r) => byQid.get(r.qid)!.task === 'cruxeval');
    for (const [name, grader, rows] of [['numeric (GSM8K)', gradeNumeric, gsm], ['exact match (CRUXEval)', gradeExactMatch, crux], ['python-literal (CRUXEval)', gradePythonLiteral, crux]] as const) {
      const t0 = performance.now();
      let agree = 0;
      for (const r of rows) if (grader(r.response, byQid.get(r.qid)!.reference!).correct === r.correct) agree++;
      const s = (performance.now() - t0) / 1000;
      console.log(`grader ${name}: ${fmt(rows.length / s)} responses/s, agreement with the labels ${fmt((100 * agree) / rows.length, 2)}% (${agree}/${rows.length})`);
    }

    let t0 = performance.now();
    const counter = await o200kCounter();
    const loadMs = performance.now() - t0;
    const texts = log.responses.slice(0, 5000).map((r) => r.response);
    t0 = performance.now();
    let tokens = 0;
    for (const t of texts) tokens += counter.count(t);
    const s = (performance.now() - t0) / 1000;
    console.log(`tokenizer o200k_base: first load ${fmt(loadMs)} ms, then ${fmt(tokens / s)} tokens/s (${fmt(texts.length / s)} responses/s)`);

    const prompts = log.queries.map((q) => q.prompt);
    const builtinDir = path.join(tmp, 'cache-builtin');
    await using builtin = await createEmbedder({ kind: 'builtin' }, { fitTexts: prompts, cacheDir: builtinDir });
    await using plainBuiltin = await createEmbedder({ kind: 'builtin' }, { fitTexts: prompts });
    t0 = performance.now();
    await plainBuiltin.embed(prompts);
    const plainMs = performance.now() - t0;
    await builtin.embed(prompts);
    t0 = performance.now();
    await builtin.embed(prompts);
    const hitMs = performance.now() - t0;
    console.log(`embed built-in, ${prompts.length} prompts: uncached ${fmt(plainMs)} ms, all cache hits ${fmt(hitMs)} ms`);

    const few = prompts.slice(0, 20);
    await using gguf = await createEmbedder({ kind: 'gguf', path: stories }, { cacheDir: path.join(tmp, 'cache-gguf') });
    t0 = performance.now();
    await gguf.embed(few);
    const missMs = performance.now() - t0;
    t0 = performance.now();
    await gguf.embed(few);
    const ggufHitMs = performance.now() - t0;
    console.log(`embed GGUF stories260K, ${few.length} prompts: computed ${fmt(missMs)} ms (${fmt(missMs / few.length, 1)} ms each), cache hits ${fmt(ggufHitMs, 1)} ms (${fmt(missMs / Math.max(ggufHitMs, 0.01))}x faster)`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else await main();
