import { APP_API_METHODS, ipcChannel, type AppApi, type Reply } from '../core/app-api.js';
import { dispatchAppCall } from '../server/app/dispatch.js';

/** The part of an `IpcMainInvokeEvent` the sender check reads. */
export interface InvokeEventLike {
  senderFrame: { url: string; parent: unknown } | null;
}

/** The part of Electron's `ipcMain` the handlers use (a test passes its own). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** Where the app's own page lives: `cascade-lab://app/…`. */
export const APP_SCHEME = 'cascade-lab';
export const APP_HOST = 'app';

/**
 * True when a message comes from the app's own page in the window's main frame: a sub-frame,
 * a page navigated elsewhere, or a frame already gone is refused.
 */
export function isTrustedSender(event: InvokeEventLike): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  try {
    const url = new URL(frame.url);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

function refused(channel: string, why: string): Reply {
  return { ok: false, error: { name: 'AccessError', message: `${channel}: ${why}`, where: channel } };
}

/**
 * Registers one handler per AppApi method, on that method's channel only. Each checks the
 * sender, takes exactly one payload, validates it with the method's schema and replies with a
 * Reply envelope. Returns the channels and a function that removes them.
 */
export function registerAppHandlers(ipcMain: IpcMainLike, api: AppApi, trusted: (event: InvokeEventLike) => boolean = isTrustedSender): { channels: string[]; dispose: () => void } {
  const channels = APP_API_METHODS.map((method) => {
    const channel = ipcChannel(method);
    ipcMain.handle(channel, async (event, ...args) => {
      if (!trusted(event)) return refused(channel, `sender ${event.senderFrame?.url ?? '(gone)'} is not the app's main frame`);
      if (args.length > 1) return refused(channel, `expected one payload, got ${args.length}`);
      return dispatchAppCall(api, method, args[0]);
    });
    return channel;
  });
  return { channels, dispose: () => channels.forEach((c) => ipcMain.removeHandler(c)) };
}
