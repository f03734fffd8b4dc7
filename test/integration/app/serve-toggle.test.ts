// The app's Serve toggle under the same access rules as `cascade-lab serve`: never beyond
// loopback without a token, and a token set in the app guards the endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { AppService } from '../../../server/app/app-service.js';
import { start as startUpstream, type Upstream } from '../../helpers/openai-upstream.js';

const SIMULATED = resolve(import.meta.dirname, '../../../fixtures/simulated');
let service: AppService;
let upstream: Upstream;

beforeAll(async () => {
  upstream = await startUpstream({ reply: 'The answer is 42.' });
  service = await AppService.create({ simulatedDir: SIMULATED });
  await service.tune({ k: 2 });
  const models = (await service.getState()).workspace!.models.map((m) => m.model);
  await service.setPool({ version: 1, tiers: [{ kind: 'cloud', name: 'all', baseUrl: upstream.url, model: 'm', standsFor: models, usdPerMtokIn: 1, usdPerMtokOut: 1, concurrency: 4, timeoutMs: 5000, retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 }, sampling: { temperature: 0, maxTokens: 16, stop: [] } }] });
}, 60_000);
afterAll(async () => {
  await service?.dispose();
  await upstream?.close();
});

const ask = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'cascade', messages: [{ role: 'user', content: 'What is 6 times 7?' }] }) });

describe('the Serve toggle', () => {
  it('refuses to listen beyond loopback without a token, and stays off', async () => {
    await expect(service.startServe({ port: 0, host: '0.0.0.0' })).rejects.toThrow(/--host: binding 0\.0\.0\.0 .*token/);
    expect((await service.getState()).serve.running).toBe(false);
  });

  it('serves on every interface with a token, which every call then needs', async () => {
    const status = await service.startServe({ port: 0, host: '0.0.0.0', token: 'a-token-of-sixteen-plus' });
    try {
      expect(status.running).toBe(true);
      const url = status.url!.replace('0.0.0.0', '127.0.0.1');
      expect((await ask(url)).status).toBe(401);
      const ok = await ask(url, { authorization: 'Bearer a-token-of-sixteen-plus' });
      expect(ok.status).toBe(200);
      expect(JSON.stringify(await ok.json())).toMatch(/The answer is 42\./);
      // The same Host and Origin rules as the CLI.
      expect((await ask(url, { authorization: 'Bearer a-token-of-sixteen-plus', origin: 'http://evil.example' })).status).toBe(403);
    } finally {
      await service.stopServe();
    }
  });
});
