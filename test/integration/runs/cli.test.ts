import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type Upstream } from '../../helpers/openai-upstream.js';

const dir = mkdtempSync(join(tmpdir(), 'cascade-cli-'));
let upstream: Upstream;
let deadUrl: string;

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/cascade-lab.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CASCADE_CLI_TEST_KEY: 'k' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const cloud = (name: string, baseUrl: string, extra: object = {}) => ({ kind: 'cloud', name, baseUrl, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 3, retry: { maxRetries: 0 }, timeoutMs: 2000, ...extra });

beforeAll(async () => {
  // 20 ms between tokens: wide enough that a busy CI machine cannot squeeze the measured TPOT to nothing.
  upstream = await start({ reply: 'one two three four five', tokenDelayMs: 20 });
  const dead = await start();
  deadUrl = dead.url;
  await dead.close();
  writeFileSync(join(dir, 'pool.json'), JSON.stringify({ tiers: [
    cloud('live', upstream.url, { apiKeyEnv: 'CASCADE_CLI_TEST_KEY' }),
    cloud('dead', deadUrl),
    cloud('keyless', upstream.url, { apiKeyEnv: 'CASCADE_CLI_UNSET_KEY' }),
  ] }));
  writeFileSync(join(dir, 'broken.json'), '{"tiers": [}');
  writeFileSync(join(dir, 'bench.csv'), 'prompt,reference\nWhat is 2+2?,4\n');
});
afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cascade-lab pool check and run', () => {
  it('starts from the dist/node bundle (fresh after the global setup) without loading the native tiers', async () => {
    const { code, stdout, stderr } = await cli('help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: cascade-lab .*\n[\s\S]*\btune\b[\s\S]*\bserve\b[\s\S]*\bpool\b/);
    // Nothing rebuilt and no fallback to tsx: either would say so on stderr.
    expect(stderr).toBe('');
  });

  it('pool check measures the live tier and reports each failing tier by name', async () => {
    const { code, stdout, stderr } = await cli('pool', 'check', join(dir, 'pool.json'), '--json', '--repeat', '1', '--max-tokens', '5');
    expect(code).toBe(2);
    expect(stderr).toMatch(/TierCheckFailedError: .*pool\.json: 2 of 3 tiers cannot answer: dead, keyless/);
    const { checks, costFigures } = JSON.parse(stdout) as { checks: { tier: string; ok: boolean; ttftMs?: number; tpotMs?: number; outputTokens?: number; error?: string }[]; costFigures: Record<string, { tpotMs?: number; usdPerMtokOut: number }> };
    const byName = Object.fromEntries(checks.map((c) => [c.tier, c]));
    expect(byName.live).toMatchObject({ ok: true, outputTokens: 5 });
    expect(byName.live.ttftMs).toBeGreaterThan(0);
    expect(byName.live.tpotMs).toBeGreaterThan(5);
    expect(byName.dead.ok).toBe(false);
    expect(byName.dead.error).toMatch(/tier "dead" \(http:\/\/127\.0\.0\.1:\d+\/v1\): cannot reach the endpoint/);
    expect(byName.keyless.error).toMatch(/tier "keyless": environment variable CASCADE_CLI_UNSET_KEY/);
    expect(costFigures.live.tpotMs).toBe(byName.live.tpotMs);
    expect(costFigures.dead).toEqual({ usdPerMtokIn: 1, usdPerMtokOut: 3 });
  });

  it('pool check prints a table', async () => {
    const { stdout } = await cli('pool', 'check', join(dir, 'pool.json'), '--tier', 'live', '--repeat', '1');
    expect(stdout).toMatch(/^tier\s+kind\s+status\s+load ms\s+TTFT ms\s+TPOT ms\s+tokens\nlive\s+cloud\s+ok\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+5\n$/);
  });

  it('bad input exits 2 with a typed error naming the file or tier', async () => {
    const broken = await cli('pool', 'check', join(dir, 'broken.json'));
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/InvalidInputError: .*broken\.json: malformed JSON/);
    const unknown = await cli('run', '--pool', join(dir, 'pool.json'), '--tier', 'nope', '--bench', join(dir, 'bench.csv'), '--out', join(dir, 'out'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/UnknownTierError: .*pool\.json: no tier "nope" in the pool \(it has: live, dead, keyless\)/);
  });

  it('run answers a CSV benchmark and writes the run log', async () => {
    const { code, stdout } = await cli('run', '--pool', join(dir, 'pool.json'), '--tier', 'live', '--bench', join(dir, 'bench.csv'), '--out', join(dir, 'out'), '--no-progress');
    expect(code).toBe(0);
    expect(stdout).toMatch(/finished: 1\/1 queries of tier "live" \(1 this session in [\d.]+ s, 0 tier failures\)\n  answered:   1, 0 right \(0\.0%\)\n  unanswered: 0\n  tokens:     \d+ in, 5 out; cost \$0\.0000\d+\n  medians:    TTFT [\d.]+ ms, TPOT [\d.]+ ms\n/);
  });

  it('run against a server answering 500 to everything stops after the consecutive-failure limit with a clear message, and resumes once the server is back', async () => {
    const down = await start({ reply: 'The answer is 4.', behaviour: { kind: 'status', status: 500 } });
    try {
      const pool = join(dir, 'down.json');
      // One retry per call: the run counts a call as failed only once the tier's own retries are spent.
      writeFileSync(pool, JSON.stringify({ tiers: [cloud('down', down.url, { retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 2 } })] }));
      writeFileSync(join(dir, 'six.csv'), ['task,prompt,reference', ...Array.from({ length: 6 }, (_, i) => `gsm8k,What is 2+${i}?,${2 + i}`)].join('\n'));
      const args = ['run', '--pool', pool, '--tier', 'down', '--bench', join(dir, 'six.csv'), '--out', join(dir, 'down-out'), '--no-progress', '--concurrency', '1'];
      const stopped = await cli(...args);
      expect(stopped.code).toBe(2);
      expect(stopped.stderr).toMatch(/RunFailedError: tier "down": 3 calls failed in a row on the tier's side, so the run stopped; the last: tier "down" \(http:\/\/127\.0\.0\.1:\d+\/v1\): HTTP 500: .* after 2 tries\. 0 of 6 queries are finished and stored; once the tier is back, run the same cascade-lab run command again \(same --out and --run-id\) to resume/);
      // Three calls of two tries each, one call at a time.
      expect(down.requests).toBe(6);

      down.setBehaviour({ kind: 'ok' });
      const resumed = await cli(...args);
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/finished: 6\/6 queries of tier "down" \(6 this session in [\d.]+ s, 0 tier failures\)\n  answered:   6, 1 right \(16\.7%\)\n  unanswered: 0\n/);
    } finally {
      await down.close();
    }
  });
});
