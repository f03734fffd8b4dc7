import { type AppClient, type ElectronBridge } from '../../core/app-api.js';
import { createProxyClient } from './proxy-client.js';

/** The AppApi over the Electron preload's bridge (one IPC channel per method). */
export function createIpcClient(bridge: ElectronBridge): AppClient {
  return createProxyClient({
    call: (method, payload) => bridge[method](payload),
    listen: (onEvent) => bridge.onEvent(onEvent),
  });
}
