import { AppService, type AppServiceOptions } from './app-service.js';
import { startHttpBridge, type HttpBridge, type HttpBridgeOptions } from './http-bridge.js';

export type AppServerOptions = AppServiceOptions & HttpBridgeOptions;

export interface AppServer extends HttpBridge {
  readonly service: AppService;
}

/**
 * Browser mode in one call: an AppService on its initial workspace, behind the HTTP + WebSocket
 * bridge. `close()` stops both. Tests start it on port 0 and read `url`/`token` back.
 */
export async function startAppServer(options: AppServerOptions = {}): Promise<AppServer> {
  const service = await AppService.create(options);
  let bridge: HttpBridge;
  try {
    bridge = await startHttpBridge(service, options);
  } catch (err) {
    await service.dispose();
    throw err;
  }
  return {
    url: bridge.url,
    origin: bridge.origin,
    token: bridge.token,
    port: bridge.port,
    service,
    async close() {
      await bridge.close();
      await service.dispose();
    },
  };
}
