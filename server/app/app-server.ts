import type { AppService, AppServiceOptions } from './app-service.js';
import { deferredClient } from './deferred-client.js';
import { startHttpBridge, type HttpBridge, type HttpBridgeOptions } from './http-bridge.js';

export type AppServerOptions = AppServiceOptions & HttpBridgeOptions;

export interface AppServer extends HttpBridge {
  readonly service: AppService;
}

export interface OpeningAppServer extends HttpBridge {
  /** The service; settles when its initial workspace has loaded, and rejects with that load's error (the service then stands with no workspace). */
  readonly ready: Promise<AppService>;
}

/**
 * Browser mode, listening first: the HTTP + WebSocket bridge is up (and the page can load) while
 * the engine's modules load and the initial workspace is read; API calls made meanwhile wait for
 * it. `close()` stops both.
 */
export async function openAppServer(options: AppServerOptions = {}): Promise<OpeningAppServer> {
  // The engine's modules (k-means, the run-log readers…) load while the bridge already listens.
  const opened = import('./app-service.js').then(({ AppService }) => AppService.open(options));
  const service = opened.then(({ service }) => service);
  const settled = opened.then(({ service, ready }) => ready.then(() => service, () => service));
  let bridge: HttpBridge;
  try {
    bridge = await startHttpBridge(deferredClient(settled), options);
  } catch (err) {
    await service.then((s) => s.dispose(), () => undefined);
    throw err;
  }
  return {
    url: bridge.url,
    origin: bridge.origin,
    token: bridge.token,
    port: bridge.port,
    ready: opened.then(({ service, ready }) => ready.then(() => service)),
    async close() {
      await bridge.close();
      await service.then((s) => s.dispose(), () => undefined);
    },
  };
}

/**
 * Browser mode in one call: an AppService on its initial workspace, behind the HTTP + WebSocket
 * bridge; resolves once that workspace has loaded. `close()` stops both. Tests start it on port 0
 * and read `url`/`token` back.
 */
export async function startAppServer(options: AppServerOptions = {}): Promise<AppServer> {
  const server = await openAppServer(options);
  let service: AppService;
  try {
    service = await server.ready;
  } catch (err) {
    await server.close();
    throw err;
  }
  return { url: server.url, origin: server.origin, token: server.token, port: server.port, service, close: () => server.close() };
}
