// serve with a config tuned on a GGUF embedder: the endpoint loads that embedder itself and
// routes exactly as the config's clusters say; a missing or different embedder is refused.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeEmbedding, type TunedConfig } from '../../core/config.js';
import { GgufEmbedder } from '../../native-models/embedders/index.js';
import { ConfigRejectedError } from '../../server/serve/errors.js';
import { startServer, type RunningServer } from '../../server/serve/server.js';
import { start as startUpstream, type Upstream } from '../helpers/openai-upstream.js';
import { MODELS, mapAll, tuneWithGgufEmbedder, writeJson } from './serve-fixture.js';

const stories = join(MODELS, 'stories260K.gguf');
let dir: string;
let config: TunedConfig;
let configPath: string;
let poolPath: string;
let upstream: Upstream;
let prompts: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serve-embedder-'));
  const tuned = await tuneWithGgufEmbedder();
  config = tuned.config;
  // Both tasks, so that more than one cluster is asked for.
  prompts = ['gsm8k', 'crux'].flatMap((task) => tuned.queries.filter((q) => q.task.startsWith(task)).slice(0, 4).map((q) => q.prompt));
  upstream = await startUpstream({ reply: 'The answer is 4.' });
  configPath = join(dir, 'config.json');
  poolPath = join(dir, 'pool.json');
  await writeJson(configPath, config);
  await writeJson(poolPath, { version: 1, tiers: [{ kind: 'cloud', name: 'up', baseUrl: upstream.url, model: 'up', usdPerMtokIn: 1, usdPerMtokOut: 1 }] });
}, 180_000);
afterAll(async () => {
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('serve: a config tuned with a GGUF embedder', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ configPath, poolPath, tierMap: mapAll(config, 'up'), watch: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('routes each request to the cluster its GGUF embedding is nearest to', async () => {
    expect(config.embedder.spec).toEqual({ kind: 'gguf', path: stories });
    const embedder = await GgufEmbedder.create(stories);
    const expected = (await embedder.embed(prompts)).map((e) => routeEmbedding(config, e).cluster);
    await embedder.dispose();
    // The slice must exercise more than one cluster, or the check below could not fail.
    expect(new Set(expected).size).toBeGreaterThan(1);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const got: number[] = [];
    for (const prompt of prompts) {
      const { response } = await client.chat.completions.create({ model: 'cascade', messages: [{ role: 'user', content: prompt }] }).withResponse();
      got.push(Number(response.headers.get('x-cascade-cluster')));
    }
    expect(got).toEqual(expected);
  });

  it('keeps serving the old config when a reload names an embedder that cannot load', async () => {
    // Another embedder (a new id) whose file is missing: loading it fails, so the reload is refused.
    await writeJson(configPath, { ...config, embedder: { ...config.embedder, id: 'gguf:missing.gguf:0', spec: { kind: 'gguf', path: join(dir, 'missing.gguf') } } });
    await expect(server.reload()).rejects.toThrow(/embedder gguf:.*missing\.gguf/);
    await writeJson(configPath, config);
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'cascade', messages: [{ role: 'user', content: prompts[0] }] }) });
    expect(res.status).toBe(200);
  });
});

describe('serve: the embedder must be the one the config was tuned with', () => {
  it('refuses a different GGUF model given with --embedder, naming both ids', async () => {
    const other = join(MODELS, 'llama-2-tiny-random.gguf');
    const start = startServer({ configPath, poolPath, tierMap: mapAll(config, 'up'), watch: false, embedder: { kind: 'gguf', path: other } });
    await expect(start).rejects.toThrow(ConfigRejectedError);
    await expect(start).rejects.toThrow(/llama-2-tiny-random\.gguf.*tuned with gguf:stories260K\.gguf/);
  });

  it('refuses a config whose GGUF file is missing, and says how to point at it', async () => {
    const moved = join(dir, 'moved.json');
    await writeJson(moved, { ...config, embedder: { ...config.embedder, spec: { kind: 'gguf', path: join(dir, 'gone.gguf') } } });
    await expect(startServer({ configPath: moved, poolPath, tierMap: mapAll(config, 'up'), watch: false })).rejects.toThrow(/gone\.gguf.*--embedder/);
    // Pointing --embedder at the right file serves it.
    const server = await startServer({ configPath: moved, poolPath, tierMap: mapAll(config, 'up'), watch: false, embedder: { kind: 'gguf', path: stories } });
    await server.close();
  });
});

describe("serve: a pool tier's standsFor replaces --map", () => {
  it('serves the config with no tier map when a tier stands for its models, and refuses it otherwise', async () => {
    const tier = { kind: 'cloud', name: 'up', baseUrl: upstream.url, model: 'up', usdPerMtokIn: 1, usdPerMtokOut: 1 };
    await expect(startServer({ configPath, poolPath, watch: false })).rejects.toThrow(/no pool tier stands for/);
    const standing = join(dir, 'standing.json');
    await writeJson(standing, { version: 1, tiers: [{ ...tier, standsFor: config.pool.map((p) => p.model) }] });
    const server = await startServer({ configPath, poolPath: standing, watch: false });
    try {
      const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'cascade', messages: [{ role: 'user', content: prompts[0] }] }) });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cascade-stage1')).toBe('up');
    } finally {
      await server.close();
    }
  });
});
