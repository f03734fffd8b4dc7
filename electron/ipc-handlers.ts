import { APP_API_METHODS, ipcChannel, PICK_MODEL_FILE_CHANNEL, type AppApi, type Reply } from '../core/app-api.js';
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

/** What the shell's own dialog channel asks of Electron (a test passes its own). */
export interface ShellDialogs {
  /** The GGUF file the user picked, or null when they cancelled. */
  pickModelFile(): Promise<string | null>;
}

/**
 * Registers the shell's file-dialog channel: no payload, the same sender check as the engine's
 * channels, and the picked path (or null) in a Reply envelope. Returns a function that removes it.
 */
export function registerShellHandlers(ipcMain: IpcMainLike, dialogs: ShellDialogs, trusted: (event: InvokeEventLike) => boolean = isTrustedSender): () => void {
  ipcMain.handle(PICK_MODEL_FILE_CHANNEL, async (event, ...args): Promise<Reply> => {
    if (!trusted(event)) return refused(PICK_MODEL_FILE_CHANNEL, `sender ${event.senderFrame?.url ?? '(gone)'} is not the app's main frame`);
    if (args.length > 0) return refused(PICK_MODEL_FILE_CHANNEL, `expected no payload, got ${args.length}`);
    try {
      return { ok: true, value: await dialogs.pickModelFile() };
    } catch (err) {
      return { ok: false, error: { name: 'DialogError', message: `${PICK_MODEL_FILE_CHANNEL}: ${(err as Error).message}`, where: PICK_MODEL_FILE_CHANNEL } };
    }
  });
  return () => ipcMain.removeHandler(PICK_MODEL_FILE_CHANNEL);
}
