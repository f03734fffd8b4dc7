import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { unansweredByModel } from '../../core/unanswered.js';
import { RunStore } from '../../native-models/runs/run-store.js';
import { loadRunLog } from '../../native-models/runlog/load.js';

// The issue-19 run, cut to the first 60 questions: zeroeval-gsm8k-crux on the real stories260K
// model with a 512-token context and 24 output tokens. Four of those prompts (gsm8k/4, /41, /45,
// /53) plus 24 tokens do not fit; the run must record them as unanswered and finish the rest.
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const bench = join(repoRoot, '..', 'shared', 'data', 'zeroeval-gsm8k-crux');
const stories = join(repoRoot, '..', 'shared', 'models', 'stories260K.gguf');
const LIMIT = 60;
const TOO_LONG = ['gsm8k/4', 'gsm8k/41', 'gsm8k/45', 'gsm8k/53'];
// Each test runs the model over 60 queries in one or two processes: 40 s on a quiet machine, over 100 s on the shared 2-core one.
const RUN_TIMEOUT_MS = 300_000;

const dir = mkdtempSync(join(tmpdir(), 'cascade-run-unanswered-'));
const pool = join(dir, 'pool.json');
writeFileSync(pool, JSON.stringify({ tiers: [{ kind: 'local', name: 'tiny', model: stories, contextSize: 512, threads: 1 }] }));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): { child: ChildProcess; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const p = spawn(process.execPath, ['bin/cascade-lab.mjs', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child: p, exit: new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))) };
}

const runArgs = (out: string) => ['run', '--pool', pool, '--tier', 'tiny', '--bench', bench, '--out', out, '--limit', String(LIMIT), '--max-tokens', '24', '--no-progress'];

/** Every finished cell of a store: the answer and grade, or the unanswered reason. */
function endState(out: string): string[] {
  const store = RunStore.open(join(out, 'runs.sqlite'));
  try {
    const id = 'zeroeval-gsm8k-crux';
    return [
      ...store.answers(id).map((a) => `${a.qid} answered ${a.correct} ${JSON.stringify(a.answer)} ${JSON.stringify(a.result.text)}`),
      ...store.unanswered(id).map((u) => `${u.qid} unanswered ${u.reason}`),
    ].sort();
  } finally {
    store.close();
  }
}

function doneSoFar(out: string): number {
  const path = join(out, 'runs.sqlite');
  if (!existsSync(path)) return 0;
  const store = RunStore.open(path);
  try {
    return store.getRun('zeroeval-gsm8k-crux') ? store.countDone('zeroeval-gsm8k-crux') : 0;
  } finally {
    store.close();
  }
}

describe('a benchmark run on a tier whose context some prompts do not fit', () => {
  const full = join(dir, 'full');

  it('finishes every query, recording the long prompts as unanswered with reason context_length; the export tunes', async () => {
    const { exit } = cli(runArgs(full));
    const run = await exit;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`finished: ${LIMIT}/${LIMIT} queries of tier "tiny" \\(${LIMIT} this session in [\\d.]+ s, 0 tier failures\\)\\n  answered:   ${LIMIT - 4}, \\d+ right`));
    expect(run.stdout).toMatch(/\n {2}unanswered: 4 \(context_length 4\)\n/);
    expect(run.stdout).toMatch(/\n {2}medians: {4}TTFT [\d.]+ ms, TPOT [\d.]+ ms\n/);

    const log = await loadRunLog(full, { countTokens: false });
    expect(log.queries).toHaveLength(LIMIT);
    expect(log.responses).toHaveLength(LIMIT - 4);
    expect(log.unanswered).toEqual(TOO_LONG.map((qid) => ({ qid, model: 'tiny', reason: 'context_length' })));

    const tuned = cli(['tune', '--data', full, '--out', join(dir, 'tuned.json'), '--bootstrap', '50', '--json']);
    const t = await tuned.exit;
    expect(t.code, t.stderr).toBe(0);
    const report = JSON.parse(t.stdout) as { unansweredByModel: unknown; split: { train: number; test: number } };
    expect(report.unansweredByModel).toEqual(unansweredByModel(log));
    expect(report.unansweredByModel).toEqual([{ model: 'tiny', unanswered: 4, byReason: { context_length: 4 } }]);
    expect(report.split.train + report.split.test).toBe(LIMIT);
  }, RUN_TIMEOUT_MS);

  it('killed with SIGKILL mid-way and run again, ends in the same state as the run never killed', async () => {
    const killed = join(dir, 'killed');
    const first = cli(runArgs(killed));
    child = first.child;
    const deadline = Date.now() + 120_000;
    // Past gsm8k/4 (the first prompt too long), well before the end.
    while (doneSoFar(killed) < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    const atKill = doneSoFar(killed);
    expect(atKill).toBeGreaterThanOrEqual(12);
    expect(atKill).toBeLessThan(LIMIT);

    const second = cli(runArgs(killed));
    child = second.child;
    const run = await second.exit;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`finished: ${LIMIT}/${LIMIT} queries of tier "tiny" \\(${LIMIT - atKill} this session`));
    expect(endState(killed)).toEqual(endState(full));
  }, RUN_TIMEOUT_MS);
});
