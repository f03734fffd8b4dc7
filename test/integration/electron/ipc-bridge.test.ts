// The Electron shell without its binary (which cannot be installed here): the preload is
// compiled with the project's own electron tsconfig and run the way a sandboxed renderer runs
// it; ipcMain, contextBridge and ipcRenderer are the only stand-ins, and behind them sit the
// real handlers, the real AppService and the renderer's real IPC client.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_API_METHODS, ELECTRON_BRIDGE_KEY, EVENT_CHANNEL, ipcChannel, PICK_MODEL_FILE_CHANNEL, type ElectronBridge, type Reply } from '../../../core/app-api.js';
import { isTrustedSender, registerAppHandlers, registerShellHandlers, type InvokeEventLike, type IpcMainLike } from '../../../electron/ipc-handlers.js';
import { APP_URL, lockDown, serveAppRequest, windowOptions, type ContentsLike } from '../../../electron/window.js';
import { AppService } from '../../../server/app/app-service.js';
import { RENDERER_CSP } from '../../../server/app/static-files.js';
import { createIpcClient } from '../../../renderer/api/ipc-client.js';

type Listener = (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>;

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, listener: Listener): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

const appFrame: InvokeEventLike = { senderFrame: { url: APP_URL, parent: null } };

/** Compiles the preload exactly as `npm run build` does (electron/tsconfig.json) and returns the emitted JavaScript. */
function compilePreload(): string {
  const configPath = join(process.cwd(), 'electron', 'tsconfig.json');
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, join(process.cwd(), 'electron'));
  const file = join(process.cwd(), 'electron', 'preload', 'preload.ts');
  let output = '';
  // Emitting needs no type information, so resolution is skipped; the module format still comes from package.json scope.
  const program = ts.createProgram([file], { ...parsed.options, noEmit: false, noResolve: true, types: [] });
  program.emit(program.getSourceFile(file), (name, text) => {
    if (name.endsWith('preload.js')) output = text;
  });
  return output;
}

/** Runs the compiled preload as Electron's sandbox does: a plain function of require, process, exports and module. */
function runPreload(code: string, ipcMain: FakeIpcMain, frame: InvokeEventLike = appFrame) {
  const exposed = new Map<string, unknown>();
  const rendererListeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const invoked: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        invoked.push(channel);
        const handler = ipcMain.handlers.get(channel);
        if (!handler) throw new Error(`No handler registered for '${channel}'`);
        return handler(frame, ...args);
      },
      on: (channel: string, l: (...args: unknown[]) => void) => void (rendererListeners.get(channel) ?? rendererListeners.set(channel, new Set()).get(channel)!).add(l),
      removeListener: (channel: string, l: (...args: unknown[]) => void) => void rendererListeners.get(channel)?.delete(l),
    },
  };
  const require = (name: string) => {
    if (name !== 'electron') throw new Error(`module not found: ${name}`);
    return electron;
  };
  const exports = {};
  new Function('require', 'process', 'exports', 'module', code)(require, {}, exports, { exports });
  return { exposed, rendererListeners, invoked };
}

describe('Electron IPC bridge', () => {
  let service: AppService;
  let preloadJs: string;
  beforeAll(async () => {
    service = await AppService.create({ dataDirs: ['../shared/data'], initialDataSet: null, simulatedDir: null });
    preloadJs = compilePreload();
  }, 60_000);
  afterAll(async () => {
    await service?.dispose();
  });

  it('registers exactly one handler per AppApi method, on that method\'s channel', () => {
    const ipcMain = new FakeIpcMain();
    const { channels, dispose } = registerAppHandlers(ipcMain, service);
    expect([...ipcMain.handlers.keys()].sort()).toEqual(APP_API_METHODS.map(ipcChannel).sort());
    expect(channels).toHaveLength(APP_API_METHODS.length);
    dispose();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('compiles the preload to a plain CommonJS script (no import/export a sandboxed preload would choke on)', () => {
    expect(preloadJs).toContain('require(\'electron\')');
    expect(preloadJs).not.toMatch(/^\s*(import|export)\s/m);
    expect(() => new Function('require', 'process', 'exports', 'module', preloadJs)).not.toThrow();
  });

  it('exposes one function per method under one key, each bound to its own channel only', async () => {
    const ipcMain = new FakeIpcMain();
    registerAppHandlers(ipcMain, service);
    const { exposed, invoked } = runPreload(preloadJs, ipcMain);
    expect([...exposed.keys()]).toEqual([ELECTRON_BRIDGE_KEY]);
    const bridge = exposed.get(ELECTRON_BRIDGE_KEY) as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual([...APP_API_METHODS, 'onEvent', 'pickModelFile'].sort());
    for (const method of APP_API_METHODS) {
      await (bridge[method] as (p?: unknown) => Promise<unknown>)(undefined);
      expect(invoked.at(-1)).toBe(ipcChannel(method));
    }
    expect(new Set(invoked).size).toBe(APP_API_METHODS.length);
  });

  it("carries the shell's GGUF file dialog on its own channel, from the app's main frame only", async () => {
    const ipcMain = new FakeIpcMain();
    const picks: (string | null)[] = ['/models/tiny.gguf', null];
    const remove = registerShellHandlers(ipcMain, { pickModelFile: async () => picks.shift() ?? null });
    const bridge = runPreload(preloadJs, ipcMain).exposed.get(ELECTRON_BRIDGE_KEY) as ElectronBridge;
    expect(await bridge.pickModelFile()).toEqual({ ok: true, value: '/models/tiny.gguf' });
    expect(await bridge.pickModelFile()).toEqual({ ok: true, value: null });
    expect(ipcMain.handlers.has(PICK_MODEL_FILE_CHANNEL)).toBe(true);
    const foreign = runPreload(preloadJs, ipcMain, { senderFrame: { url: 'https://evil.example/', parent: null } }).exposed.get(ELECTRON_BRIDGE_KEY) as ElectronBridge;
    expect(await foreign.pickModelFile()).toMatchObject({ ok: false, error: { name: 'AccessError' } });
    remove();
    expect(ipcMain.handlers.has(PICK_MODEL_FILE_CHANNEL)).toBe(false);
  });

  it('passes events on without the IPC event object', () => {
    const { exposed, rendererListeners } = runPreload(preloadJs, new FakeIpcMain());
    const bridge = exposed.get(ELECTRON_BRIDGE_KEY) as ElectronBridge;
    const seen: unknown[][] = [];
    const stop = bridge.onEvent((...args) => seen.push(args));
    const [forward] = rendererListeners.get(EVENT_CHANNEL)!;
    forward({ sender: 'secret' }, { type: 'serve.status', status: { running: false, url: null, models: [] } });
    expect(seen).toEqual([[{ type: 'serve.status', status: { running: false, url: null, models: [] } }]]);
    stop();
    expect(rendererListeners.get(EVENT_CHANNEL)!.size).toBe(0);
  });

  it('runs the renderer IPC client end to end: preload → handlers → AppService', async () => {
    const ipcMain = new FakeIpcMain();
    registerAppHandlers(ipcMain, service);
    const api = createIpcClient(runPreload(preloadJs, ipcMain).exposed.get(ELECTRON_BRIDGE_KEY) as ElectronBridge);
    expect((await api.listDataSets()).map((d) => d.id)).toContain('shared:zeroeval-gsm8k-crux');
    expect((await api.getState()).apiVersion).toBe(1);
    await expect(api.tune({ k: 'many' as never })).rejects.toThrow(/tune request: field "k"/);
    await expect(api.getBudget()).rejects.toThrow(/no workspace|not tuned/);
  });

  it('refuses messages from another page, a sub-frame or a vanished frame, and extra arguments', async () => {
    const ipcMain = new FakeIpcMain();
    registerAppHandlers(ipcMain, service);
    const call = (frame: InvokeEventLike, ...args: unknown[]) => ipcMain.handlers.get(ipcChannel('getState'))!(frame, ...args) as Promise<Reply>;
    const foreign = await call({ senderFrame: { url: 'https://evil.example/', parent: null } });
    expect(foreign.ok).toBe(false);
    expect(!foreign.ok && foreign.error.message).toMatch(/sender https:\/\/evil\.example\/ is not the app's main frame/);
    expect((await call({ senderFrame: { url: APP_URL, parent: {} } })).ok).toBe(false);
    expect((await call({ senderFrame: null })).ok).toBe(false);
    expect((await call({ senderFrame: { url: 'file:///etc/passwd', parent: null } })).ok).toBe(false);
    expect((await call(appFrame, undefined, 'extra')).ok).toBe(false);
    expect((await call(appFrame)).ok).toBe(true);
    expect(isTrustedSender({ senderFrame: { url: 'cascade-lab://app.evil/index.html', parent: null } })).toBe(false);
  });
});

describe('Electron window', () => {
  it('isolates and sandboxes the renderer, without Node', () => {
    const options = windowOptions('/app/dist/electron/preload/preload.js');
    expect(options.webPreferences).toMatchObject({
      preload: '/app/dist/electron/preload/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('carries the same CSP in the page\'s meta tag as in the bridges\' headers', () => {
    const html = readFileSync(join(process.cwd(), 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
    expect(meta?.[1]).toBe(RENDERER_CSP);
    expect(RENDERER_CSP).toMatch(/script-src 'self';/);
    expect(RENDERER_CSP).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('serves only the app\'s own files on the app scheme, with the CSP header', async () => {
    const dir = join(process.cwd(), 'renderer');
    const index = await serveAppRequest({ url: 'cascade-lab://app/index.html' }, dir);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe(`${RENDERER_CSP}; frame-ancestors 'none'`);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect((await serveAppRequest({ url: 'cascade-lab://app/../../package.json' }, dir)).status).toBe(404);
    expect((await serveAppRequest({ url: 'cascade-lab://app/%2e%2e/%2e%2e/package.json' }, dir)).status).toBe(404);
    expect((await serveAppRequest({ url: 'cascade-lab://other/index.html' }, dir)).status).toBe(404);
  });

  it('keeps the window on the app: no navigation away, no new windows, no permissions', () => {
    const listeners = new Map<string, (event: { preventDefault(): void }, url: string) => void>();
    let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
    let permission: ((c: unknown, p: string, cb: (granted: boolean) => void) => void) | undefined;
    let check: (() => boolean) | undefined;
    const contents: ContentsLike = {
      on: (event, l) => void listeners.set(event, l),
      setWindowOpenHandler: (h) => void (openHandler = h),
      session: { setPermissionRequestHandler: (h) => void (permission = h), setPermissionCheckHandler: (h) => void (check = h) },
    };
    const opened: string[] = [];
    lockDown(contents, (url) => opened.push(url));
    const navigate = (url: string) => {
      let prevented = false;
      listeners.get('will-navigate')!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    expect(navigate('https://evil.example/')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(navigate('cascade-lab://app/index.html')).toBe(false);
    expect(openHandler!({ url: 'https://example.org/docs' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://example.org/docs']);
    expect(openHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(opened).toHaveLength(1);
    let granted: boolean | undefined;
    permission!(null, 'media', (g) => (granted = g));
    expect(granted).toBe(false);
    expect(check!()).toBe(false);
  });
});
