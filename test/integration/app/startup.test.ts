// Start-up: the bridge listens before the first workspace has loaded (calls wait for it), and
// the first tune starts by itself.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AppClient, AppEvent } from '../../../core/app-api.js';
import { AppService } from '../../../server/app/app-service.js';
import { openAppServer } from '../../../server/app/app-server.js';
import { deferredClient } from '../../../server/app/deferred-client.js';
import { createHttpClient } from '../../../renderer/api/http-client.js';

const SIMULATED = 'fixtures/simulated';

describe('listening first', () => {
  it('answers calls once the first workspace has loaded, with its tune already started', async () => {
    const server = await openAppServer({ port: 0, simulatedDir: SIMULATED, initialTune: { k: 'auto' } });
    try {
      const api = createHttpClient({ baseUrl: server.origin, token: server.token, WebSocket: WebSocket as never, reconnectMs: 50 });
      // Asked before the workspace is known to be loaded: the call waits for it.
      const state = await api.getState();
      expect(state.workspace?.simulated).toBe(true);
      expect(state.tune !== null || state.tuning !== null).toBe(true);
      const report = await api.tune({ k: 'auto' });
      expect(report.kMode).toBe('auto');
      expect((await server.ready).constructor).toBe(AppService);
    } finally {
      await server.close();
    }
  });

  it('starts with no workspace when the first one cannot be read, and says why', async () => {
    const server = await openAppServer({ port: 0, simulatedDir: SIMULATED, initialWorkspace: { kind: 'path', path: join(tmpdir(), 'no-such-run-log-here') } });
    try {
      await expect(server.ready).rejects.toThrow(/no-such-run-log-here/);
      const api = createHttpClient({ baseUrl: server.origin, token: server.token, WebSocket: WebSocket as never, reconnectMs: 50 });
      expect((await api.getState()).workspace).toBeNull();
      expect((await api.listDataSets()).map((d) => d.id)).toContain('simulated');
    } finally {
      await server.close();
    }
  });

  it('deferredClient holds calls and subscriptions until the service arrives', async () => {
    let arrive!: (c: AppClient) => void;
    const client = deferredClient(new Promise<AppClient>((r) => (arrive = r)));
    const events: AppEvent[] = [];
    client.subscribe((e) => events.push(e));
    let answered = false;
    const state = client.getState().then((s) => ((answered = true), s));
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false);
    const listeners = new Set<(e: AppEvent) => void>();
    const service = await AppService.create({ simulatedDir: null, initialDataSet: null, dataDirs: [] });
    arrive(Object.assign(Object.create(service) as AppClient, {
      getState: () => service.getState(),
      subscribe: (l: (e: AppEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
    }));
    expect((await state).workspace).toBeNull();
    const event: AppEvent = { type: 'serve.status', status: { running: false, url: null, models: [] } };
    for (const l of listeners) l(event);
    expect(events).toEqual([event]);
    await service.dispose();
  });
});
