import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../../../native-models/runs/run-store.js';
import { loadRunLog } from '../../../native-models/runlog/load.js';
import { start, type Upstream } from '../../helpers/openai-upstream.js';

const TOTAL = 40;
const dir = mkdtempSync(join(tmpdir(), 'cascade-resume-'));
const out = join(dir, 'out');
const dbPath = join(out, 'runs.sqlite');
let upstream: Upstream;
let child: ChildProcess | undefined;

function cli(): ChildProcess {
  const args = ['bin/cascade-lab.mjs', 'run', '--pool', join(dir, 'pool.json'), '--tier', 'up', '--bench', join(dir, 'bench.csv'), '--out', out, '--no-progress', '--concurrency', '1'];
  return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(p: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  let output = '';
  p.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  p.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, output })));
}

function storedAnswers(): { qid: string; text: string }[] {
  if (!existsSync(dbPath)) return [];
  const store = RunStore.open(dbPath);
  try {
    return store.getRun('bench') ? store.answers('bench').map((a) => ({ qid: a.qid, text: a.result.text })) : [];
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  // Each answer streams 4 tokens 15 ms apart, so the run takes long enough to be killed mid-way.
  upstream = await start({ reply: 'The answer is 42.', tokenDelayMs: 15 });
  writeFileSync(join(dir, 'pool.json'), JSON.stringify({ tiers: [{ kind: 'cloud', name: 'up', baseUrl: upstream.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 1, retry: { maxRetries: 0 } }] }));
  writeFileSync(join(dir, 'bench.csv'), ['qid,task,prompt,reference', ...Array.from({ length: TOTAL }, (_, i) => `q${i},gsm8k,What is 41 + ${i % 2}?,${41 + (i % 2)}`)].join('\n'));
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a run killed with SIGKILL mid-way', () => {
  it('resumes where it stopped: nothing lost, nothing done twice', async () => {
    child = cli();
    const first = exited(child);
    let before: { qid: string; text: string }[] = [];
    const deadline = Date.now() + 60_000;
    while (before.length < 8 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      before = storedAnswers();
    }
    child.kill('SIGKILL');
    const killed = await first;
    expect(killed.signal).toBe('SIGKILL');
    const atKill = storedAnswers();
    expect(atKill.length).toBeGreaterThanOrEqual(8);
    expect(atKill.length).toBeLessThan(TOTAL);

    const requestsBefore = upstream.requests;
    child = cli();
    const second = await exited(child);
    expect(second.code).toBe(0);
    expect(second.output).toMatch(new RegExp(`finished: ${TOTAL}/${TOTAL} queries of tier "up" \\(${TOTAL - atKill.length} this session in [\\d.]+ s, 0 tier failures\\)\n  answered:   ${TOTAL}, ${TOTAL / 2} right`));
    // Only the queries without a stored answer went to the tier again.
    expect(upstream.requests - requestsBefore).toBe(TOTAL - atKill.length);

    const after = storedAnswers();
    expect(after).toHaveLength(TOTAL);
    expect(new Set(after.map((a) => a.qid)).size).toBe(TOTAL);
    for (const a of atKill) expect(after).toContainEqual(a);

    const log = await loadRunLog(out, { countTokens: false });
    expect(log.responses).toHaveLength(TOTAL);
    expect(log.responses.filter((r) => r.correct === 1)).toHaveLength(TOTAL / 2); // the odd qids ask for 42
  });
});
