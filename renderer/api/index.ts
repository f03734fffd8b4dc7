import { z } from 'zod';
import { AppApiError, ELECTRON_BRIDGE_KEY, ReplySchema, type AppClient, type ElectronBridge } from '../../core/app-api.js';
import type { EngineLink } from './engine-link.js';
import { createHttpClient } from './http-client.js';
import { createIpcClient } from './ipc-client.js';

export { createHttpClient, type HttpClientOptions } from './http-client.js';
export { createIpcClient } from './ipc-client.js';
export { EngineLink, type LinkState } from './engine-link.js';

/**
 * The renderer's AppClient: the Electron preload's bridge when the page runs in the desktop
 * shell, otherwise the HTTP + WebSocket bridge of the server that served the page, reporting to
 * `link` (the desktop shell's engine runs in its own main process: it cannot disconnect).
 */
export function createAppClient(link?: EngineLink): AppClient {
  const bridge = electronBridge();
  return bridge ? createIpcClient(bridge) : createHttpClient({ ...(link && { link }) });
}

function electronBridge(): ElectronBridge | undefined {
  return (globalThis as Record<string, unknown>)[ELECTRON_BRIDGE_KEY] as ElectronBridge | undefined;
}

/** Electron's open-file dialog for a GGUF file, in the desktop shell; null in browser mode (which types a path instead). */
export function nativeModelFilePicker(): (() => Promise<string | null>) | null {
  const bridge = electronBridge();
  if (!bridge) return null;
  return async () => {
    const reply = ReplySchema.parse(await bridge.pickModelFile());
    if (!reply.ok) throw new AppApiError(reply.error);
    return z.string().nullable().parse(reply.value);
  };
}
