// What a web page can make a browser send to `serve`, and where `serve` may listen: the Host
// allow-list, the Origin check, JSON-only bodies and the refusal to listen beyond loopback
// without a token. Raw requests, since fetch may not set Host.
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/serve/server.js';
import { start as startUpstream, type Upstream } from '../../helpers/openai-upstream.js';
import { cloudTier, simulatedConfig, withPlan, writeServeFiles } from '../../helpers/serve-harness.js';

let dir: string;
let files: { configPath: string; poolPath: string };
let upstream: Upstream;
let server: RunningServer;
let port: number;
const BODY = JSON.stringify({ model: 'cascade', messages: [{ role: 'user', content: 'What is 6 times 7?' }] });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serve-access-'));
  const config = await simulatedConfig();
  upstream = await startUpstream({ reply: 'The answer is 42.' });
  files = await writeServeFiles(dir, withPlan(config, { action: 'answer', model: config.pool[0].model }), [cloudTier('a', upstream.url, config.pool.map((p) => p.model))]);
  server = await startServer({ ...files, watch: false, allowedHosts: ['serve.internal'] });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

function raw(path: string, headers: Record<string, string>, body?: string, method = body === undefined ? 'GET' : 'POST', to = port): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: to, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'content-type': 'application/json' };

describe('requests a web page could send', () => {
  it('refuses the DNS-rebinding attack of the issue: foreign Host and Origin, text/plain body', async () => {
    const host = `attacker.example:${port}`;
    const res = await raw('/v1/chat/completions', { host, origin: `http://${host}`, 'content-type': 'text/plain' }, BODY);
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'forbidden_host' });
    expect(JSON.parse(res.body).error.message).toMatch(/--allowed-host/);
    expect((await raw('/v1/models', { host })).status).toBe(403);
  });

  it('refuses a cross-site Origin on a loopback Host, and a cross-site fetch marker', async () => {
    const host = `127.0.0.1:${port}`;
    const evil = await raw('/v1/chat/completions', { ...json, host, origin: 'http://evil.example' }, BODY);
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error.code).toBe('forbidden_origin');
    expect((await raw('/v1/chat/completions', { ...json, host, origin: 'null' }, BODY)).status).toBe(403);
    expect((await raw('/v1/chat/completions', { ...json, host, 'sec-fetch-site': 'cross-site' }, BODY)).status).toBe(403);
    expect((await raw('/v1/chat/completions', { ...json, host, origin: `http://localhost:${port}` }, BODY)).status).toBe(200);
  });

  it('refuses a POST body that is not application/json (415), and serves JSON from loopback and allowed names', async () => {
    const host = `127.0.0.1:${port}`;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await raw('/v1/chat/completions', { host, 'content-type': type }, BODY);
      expect(res.status, type).toBe(415);
      expect(JSON.parse(res.body).error.code).toBe('unsupported_media_type');
    }
    expect((await raw('/v1/chat/completions', { host, 'content-type': 'Application/JSON; charset=utf-8' }, BODY)).status).toBe(200);
    expect((await raw('/v1/chat/completions', { ...json, host: `localhost:${port}` }, BODY)).status).toBe(200);
    expect((await raw('/v1/chat/completions', { ...json, host: `serve.internal:${port}` }, BODY)).status).toBe(200);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    expect((await client.chat.completions.create({ model: 'cascade', messages: [{ role: 'user', content: 'hi' }] })).choices[0].message.content).toBe('The answer is 42.');
  });

  it('answers /health on any Host, GET or HEAD', async () => {
    expect((await raw('/health', { host: `anything.example:${port}` })).status).toBe(200);
    expect((await raw('/health', { host: `127.0.0.1:${port}` }, undefined, 'HEAD')).status).toBe(200);
  });
});

describe('where serve may listen', () => {
  it('refuses a non-loopback address with no token, naming --insecure-no-auth; starts with a token, or warns with --insecure-no-auth', async () => {
    await expect(startServer({ ...files, watch: false, host: '0.0.0.0' })).rejects.toThrow(/--host.*0\.0\.0\.0.*--insecure-no-auth/);
    const events: string[] = [];
    const open = await startServer({ ...files, watch: false, host: '0.0.0.0', insecureNoAuth: true, onEvent: (m) => events.push(m) });
    await open.close();
    expect(events.some((e) => /WARNING.*0\.0\.0\.0.*no token/.test(e))).toBe(true);
    const guarded = await startServer({ ...files, watch: false, host: '0.0.0.0', authToken: 'a-long-enough-token', onEvent: (m) => events.push(m) });
    const guardedPort = Number(new URL(guarded.url).port);
    expect((await raw('/v1/models', { host: `127.0.0.1:${guardedPort}` }, undefined, 'GET', guardedPort)).status).toBe(401);
    expect((await raw('/health', { host: `127.0.0.1:${guardedPort}` }, undefined, 'HEAD', guardedPort)).status).toBe(200);
    await guarded.close();
    expect(events.filter((e) => /WARNING/.test(e))).toHaveLength(1);
  });
});
