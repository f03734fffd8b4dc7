import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TunedConfig } from '../../core/config.js';
import { start as startUpstream, type Upstream } from '../helpers/openai-upstream.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { ROOT, tuneOnSharedData, writeJson } from './serve-fixture.js';

interface Served {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `cascade-lab serve` as users run it and waits for its "listening" line. */
async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/cascade-lab.mjs'), 'serve', '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr, exited };
}

const waitFor = async (check: () => boolean | Promise<boolean>, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('cascade-lab serve, as a process', () => {
  let dir: string;
  let tuned: TunedConfig;
  let upstream: Upstream;
  let configPath: string;
  let poolPath: string;
  let maps: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'serve-cli-'));
    ({ config: tuned } = await tuneOnSharedData(dir));
    upstream = await startUpstream({ reply: 'one two three four five six seven eight', tokenDelayMs: 40 });
    configPath = join(dir, 'config.json');
    poolPath = join(dir, 'pool.json');
    await writeJson(configPath, tuned);
    await writeJson(poolPath, { version: 1, tiers: [{ kind: 'cloud', name: 'up', baseUrl: upstream.url, model: 'm', usdPerMtokIn: 1, usdPerMtokOut: 1 }] });
    maps = tuned.pool.flatMap((p) => ['--map', `${p.model}=up`]);
  });
  afterAll(async () => {
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start without the token variable it was told to read, naming the flag', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/cascade-lab.mjs'), 'serve', '--config', configPath, '--pool', poolPath, ...maps, '--auth-token-env', 'SERVE_TEST_NO_SUCH_VAR'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--auth-token-env.*SERVE_TEST_NO_SUCH_VAR/);
  });

  it('refuses a config whose models no tier stands for, naming them', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/cascade-lab.mjs'), 'serve', '--config', configPath, '--pool', poolPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await new Promise((r) => child.on('exit', r))).toBe(2);
    expect(stderr).toMatch(/no pool tier stands for.*--map MODEL=TIER/);
  });

  it('reloads on SIGHUP, keeps serving through a bad config, and drains on SIGTERM', async () => {
    const served = await serve(['--config', configPath, '--pool', poolPath, ...maps, '--auth-token-env', 'SERVE_TEST_TOKEN', '--no-watch'], { SERVE_TEST_TOKEN: 'tok' });
    try {
      const client = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: 'tok', maxRetries: 0 });
      const reloads = async (result: string) => sampleValue(parsePrometheusText(await (await fetch(`${served.url}/metrics`, { headers: { authorization: 'Bearer tok' } })).text()), 'cascade_config_reloads_total', { result });
      expect(await reloads('ok')).toBe(1);

      await writeJson(configPath, { ...tuned, version: 1 });
      served.child.kill('SIGHUP');
      await waitFor(async () => (await reloads('rejected')) === 1);
      expect(served.stderr()).toMatch(/reload rejected, still serving the previous config: .*version 1 is not supported/);
      const answer = await client.chat.completions.create({ model: 'cascade', messages: [{ role: 'user', content: 'What is 2 + 2?' }] });
      expect(answer.choices[0].message.content).toBe('one two three four five six seven eight');

      await writeJson(configPath, tuned);
      served.child.kill('SIGHUP');
      await waitFor(async () => (await reloads('ok')) === 2);

      // A request in flight when SIGTERM arrives still gets its whole answer; then the process exits 0.
      const inflight = client.chat.completions.create({ model: 'cascade', messages: [{ role: 'user', content: 'Count to eight.' }], stream: true });
      await new Promise((r) => setTimeout(r, 100));
      served.child.kill('SIGTERM');
      let text = '';
      for await (const chunk of await inflight) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toBe('one two three four five six seven eight');
      expect(await served.exited).toBe(0);
    } finally {
      served.child.kill('SIGKILL');
    }
  });
});
