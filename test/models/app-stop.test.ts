// Stop in the Live view while the cascade's GGUF tiers are still loading: the stream ends as
// aborted and the process lives on (the tiers open together; one that the abort fails must
// not be left without a handler while another is awaited).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../core/app-api.js';
import { LocalTierSpecSchema } from '../../core/pool.js';
import { AppService } from '../../server/app/app-service.js';
import { watchUnhandled } from '../helpers/unhandled.js';
import { MODELS, ROOT } from './serve-fixture.js';

let service: AppService;
const events: AppEvent[] = [];

beforeAll(async () => {
  service = await AppService.create({ simulatedDir: join(ROOT, 'fixtures/simulated') });
  await service.tune({ k: 2 });
  const models = (await service.getState()).workspace!.models.map((m) => m.model);
  const local = (name: string, file: string, standsFor: string[]) => LocalTierSpecSchema.parse({ kind: 'local', name, model: join(MODELS, file), standsFor, contextSize: 512, threads: 1, contextOverflow: 'clip', sampling: { maxTokens: 400 } });
  await service.setPool({ version: 1, tiers: [local('small', 'stories260K.gguf', models.slice(0, 3)), local('large', 'llama-2-tiny-random.gguf', models.slice(3))] });
  service.subscribe((e) => events.push(e));
});
afterAll(async () => {
  await service?.dispose();
});

describe('Stop in the Live view', () => {
  it('ends the stream as aborted at any moment, while tiers load or generate, and never ends the process', async () => {
    const unhandled = watchUnhandled();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const { streamId } = await service.startLive({ prompt: `What is 6 times ${i}?`, maxTokens: 400 });
        ids.push(streamId);
        await new Promise((r) => setTimeout(r, (i * 29) % 300));
        await service.abortStream({ streamId });
      }
      const until = Date.now() + 60_000;
      const ended = () => ids.every((id) => events.some((e) => (e.type === 'live.done' || e.type === 'stream.error') && e.streamId === id));
      while (!ended() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200));
      expect(unhandled.seen).toEqual([]);
      expect(ended()).toBe(true);
      expect(service.unexpectedErrors).toBe(0);
      for (const id of ids) expect(events.find((e) => e.type === 'stream.error' && e.streamId === id), id).toBeUndefined();
    } finally {
      unhandled.stop();
    }
  });
});
