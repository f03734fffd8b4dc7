import { ELECTRON_BRIDGE_KEY, type AppClient, type ElectronBridge } from '../../core/app-api.js';
import { createHttpClient } from './http-client.js';
import { createIpcClient } from './ipc-client.js';

export { createHttpClient, type HttpClientOptions } from './http-client.js';
export { createIpcClient } from './ipc-client.js';

/**
 * The renderer's AppClient: the Electron preload's bridge when the page runs in the desktop
 * shell, otherwise the HTTP + WebSocket bridge of the server that served the page.
 */
export function createAppClient(): AppClient {
  const bridge = (globalThis as Record<string, unknown>)[ELECTRON_BRIDGE_KEY] as ElectronBridge | undefined;
  return bridge ? createIpcClient(bridge) : createHttpClient();
}
