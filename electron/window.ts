import { readFile } from 'node:fs/promises';
import type { BrowserWindowConstructorOptions, CustomScheme } from 'electron';
import { contentTypeOf, RENDERER_HEADERS, resolveStaticFile } from '../server/app/static-files.js';
import { APP_HOST, APP_SCHEME } from './ipc-handlers.js';

/** The page the window opens. */
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** The app's scheme behaves like https (secure, standard origin) so the page gets a real origin and a CSP. */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

/** The window: the renderer is isolated and sandboxed, with no Node, and talks only through the preload. */
export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Cascade Lab',
    show: false,
    backgroundColor: '#101418',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/**
 * Answers a request on the app scheme with a file of the built renderer, with the same
 * security headers as browser mode; anything else is a 404.
 */
export async function serveAppRequest(request: { url: string }, rendererDir: string): Promise<Response> {
  const url = new URL(request.url);
  const file = url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST ? resolveStaticFile(rendererDir, url.pathname) : null;
  if (!file) return new Response('not found', { status: 404, headers: RENDERER_HEADERS });
  return new Response(await readFile(file), { status: 200, headers: { ...RENDERER_HEADERS, 'content-type': contentTypeOf(file) } });
}

/** The part of WebContents that `lockDown` configures (a test passes its own). */
export interface ContentsLike {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: { preventDefault(): void }, url: string) => void): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  session: {
    setPermissionRequestHandler(handler: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
    setPermissionCheckHandler(handler: () => boolean): void;
  };
}

/** Keeps the window on the app's page: no navigation away, no new windows, no permissions. */
export function lockDown(contents: ContentsLike, openExternal: (url: string) => void): void {
  const stay = (event: { preventDefault(): void }, url: string) => {
    if (!url.startsWith(`${APP_SCHEME}://${APP_HOST}/`)) event.preventDefault();
  };
  contents.on('will-navigate', stay);
  contents.on('will-redirect', stay);
  contents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the user's browser, never inside the app.
    if (url.startsWith('https://')) openExternal(url);
    return { action: 'deny' };
  });
  contents.session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  contents.session.setPermissionCheckHandler(() => false);
}
