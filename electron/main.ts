// The desktop shell: one window on the built renderer, served from the app's own scheme, and the
// AppService in this (main) process behind one IPC channel per AppApi method. Everything that
// can be tested without the Electron binary lives in window.ts and ipc-handlers.ts.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, shell } from 'electron';
import { EVENT_CHANNEL } from '../core/app-api.js';
import { AppService } from '../server/app/app-service.js';
import { deferredClient } from '../server/app/deferred-client.js';
import { APP_SCHEME, registerAppHandlers, registerShellHandlers } from './ipc-handlers.js';
import { APP_SCHEME_PRIVILEGES, APP_URL, lockDown, serveAppRequest, windowOptions } from './window.js';

protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

async function main(): Promise<void> {
  // One app per user-data folder: a second would take the first one's running benchmark runs for
  // interrupted ones (and could resume them twice) and write the same workspace file.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const root = app.getAppPath();
  const shared = join(root, '..', 'shared', 'data');
  // The first workspace loads (and starts tuning, or is read back from the tune cache) while
  // Electron gets ready and the window opens; the page's first calls wait for it.
  const workspace = process.env.CASCADE_LAB_WORKSPACE;
  const { service, ready } = AppService.open({
    simulatedDir: join(root, 'fixtures', 'simulated'),
    dataDirs: [...(process.env.CASCADE_LAB_DATA?.split(delimiter).filter(Boolean) ?? []), ...(existsSync(shared) ? [shared] : [])],
    ...(workspace && { initialWorkspace: { kind: 'path', path: workspace } }),
    initialTune: { k: 'auto' },
    tuneCacheDir: join(app.getPath('userData'), 'tunes'),
    baseDir: root,
    runsDir: join(app.getPath('userData'), 'runs'),
    stateDir: join(app.getPath('userData'), 'workspace'),
  });
  ready.catch((err: unknown) => console.error(`Cascade Lab: the first workspace did not load, so the app starts with none: ${(err as Error).message}`));
  await app.whenReady();
  const rendererDir = join(import.meta.dirname, '..', 'renderer');
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(request, rendererDir));
  const handlers = registerAppHandlers(ipcMain, deferredClient(ready.then(() => service, () => service)));
  app.on('web-contents-created', (_event, contents) => lockDown(contents, (url) => void shell.openExternal(url)));

  const win = new BrowserWindow(windowOptions(join(import.meta.dirname, 'preload', 'preload.js')));
  const removeShellHandlers = registerShellHandlers(ipcMain, {
    pickModelFile: async () => {
      const picked = await dialog.showOpenDialog(win, { title: 'Choose a GGUF model file', properties: ['openFile'], filters: [{ name: 'GGUF models', extensions: ['gguf'] }, { name: 'All files', extensions: ['*'] }] });
      return picked.canceled ? null : (picked.filePaths[0] ?? null);
    },
  });
  const unsubscribe = service.subscribe((event) => {
    if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event);
  });
  win.once('ready-to-show', () => win.show());
  app.on('second-instance', () => {
    if (win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  win.on('closed', unsubscribe);
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', (event) => {
    handlers.dispose();
    removeShellHandlers();
    event.preventDefault();
    void service.dispose().finally(() => app.exit(0));
  });
  await win.loadURL(APP_URL);
}

main().catch((err: unknown) => {
  console.error(err);
  app.exit(1);
});
