import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointResponseError, EndpointStatusError, EndpointUnreachableError } from '../../../core/errors.js';
import { CachedEmbedder, OpenAiEmbedder, createEmbedder } from '../../../native-models/embedders/index.js';

// A real OpenAI-compatible /v1/embeddings server on 127.0.0.1. Its vectors are a function of the
// text (length, first char code, word count), so tests can check order and content.
type Mode = 'ok' | 'reverse' | 'short' | 'garbage' | 'bad-dims' | 'no-data';
let mode: Mode = 'ok';
const requests: { model: string; input: string[]; encoding_format?: string }[] = [];
const vectorOf = (t: string) => [t.length, t.charCodeAt(0) || 0, t.split(/\s+/).length];

async function handle(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  if (req.method !== 'POST' || req.url !== '/v1/embeddings') return send(404, { error: { message: `no route ${req.url}` } });
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  requests.push(body);
  if (body.model === 'missing-model') return send(404, { error: { message: 'model "missing-model" not found', type: 'invalid_request_error' } });
  if (body.model === 'broken') return send(500, { error: { message: 'internal failure' } });
  const input: string[] = Array.isArray(body.input) ? body.input : [body.input];
  let data = input.map((t, index) => ({ object: 'embedding', index, embedding: vectorOf(t) }));
  if (mode === 'garbage') return send(200, 'this is not json');
  if (mode === 'no-data') return send(200, { object: 'list' });
  if (mode === 'short') data = data.slice(1);
  if (mode === 'reverse') data = data.reverse();
  if (mode === 'bad-dims' && data.length > 1) data[1].embedding = [1, 2];
  return send(200, { object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } });
}

let server: Server;
let url: string;
const tmp = mkdtempSync(join(tmpdir(), 'cl-oai-'));
beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});
const opts = { maxRetries: 0, timeoutMs: 5000, env: {} };

describe('OpenAI-compatible embedder', () => {
  it('probes dimensions, batches requests, and keeps input order even when the server reorders', async () => {
    mode = 'ok';
    await using e = await OpenAiEmbedder.create(url, 'tiny', { ...opts, batchSize: 2 });
    expect(e.dimensions).toBe(3);
    expect(e.id).toBe(`openai:${url}#tiny:d3`);
    mode = 'reverse';
    const before = requests.length;
    const out = await e.embed(['a', 'bb cc', 'ddd', 'e e e']);
    expect(requests.length - before).toBe(2);
    expect(requests.at(-1)).toMatchObject({ model: 'tiny', encoding_format: 'float' });
    expect(out.map((v) => [...v])).toEqual([vectorOf('a'), vectorOf('bb cc'), vectorOf('ddd'), vectorOf('e e e')]);
  });

  it('names the URL of an unreachable endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await OpenAiEmbedder.create(`http://127.0.0.1:${port}/v1`, 'tiny', opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointUnreachableError);
    expect(String(err)).toContain(`http://127.0.0.1:${port}/v1/embeddings`);
  });

  it('turns a 4xx and a 5xx into EndpointStatusError with the status and the server message', async () => {
    mode = 'ok';
    const e404 = await OpenAiEmbedder.create(url, 'missing-model', opts).catch((e: unknown) => e);
    expect(e404).toBeInstanceOf(EndpointStatusError);
    expect((e404 as EndpointStatusError).status).toBe(404);
    expect(String(e404)).toMatch(new RegExp(`${url}/embeddings: HTTP 404: .*missing-model`));
    const e500 = await OpenAiEmbedder.create(url, 'broken', opts).catch((e: unknown) => e);
    expect((e500 as EndpointStatusError).status).toBe(500);
  });

  it.each([
    ['garbage', /not JSON|malformed/],
    ['no-data', /field "data"/],
    ['short', /embeddings for 2 inputs|embeddings for/],
    ['bad-dims', /embedding 1 has 2 dimensions, expected 3/],
  ] as const)('rejects a malformed response (%s) naming the URL', async (m, message) => {
    mode = 'ok';
    await using e = await OpenAiEmbedder.create(url, 'tiny', opts);
    mode = m;
    const err = await e.embed(['one', 'two']).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(EndpointResponseError);
    expect(String(err)).toContain(`${url}/embeddings`);
    expect(String(err)).toMatch(message);
  });

  it('through createEmbedder with a cache, a repeated text costs no request', async () => {
    mode = 'ok';
    await using e = (await createEmbedder({ kind: 'openai', url, model: 'tiny' }, { cacheDir: tmp, openai: opts })) as CachedEmbedder;
    await e.embed(['alpha', 'beta']);
    const before = requests.length;
    const again = await e.embed(['beta', 'alpha']);
    expect(requests.length).toBe(before);
    expect([...again[0]]).toEqual(vectorOf('beta'));
    await e.embed(['alpha', 'gamma']);
    expect(requests.length).toBe(before + 1);
    expect(requests.at(-1)!.input).toEqual(['gamma']);
  });
});
