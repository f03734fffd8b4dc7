import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openAppServer } from './app-server.js';

export interface BrowserModeOptions {
  /** Repository (or installed app) root: holds dist/renderer and fixtures/simulated. */
  root: string;
  /** Defaults to `0` (a free port). */
  port?: number;
  /** Defaults to `127.0.0.1`. */
  host?: string;
  /** Data folders to list; `../shared/data` beside the root is added when it exists. Defaults to `[]`. */
  dataDirs?: string[];
  /** A run log (any format the app loads) to open as the first workspace instead of the simulated pool. Defaults to none. */
  runLog?: string;
}

/**
 * Serves the playground to a browser until SIGINT or SIGTERM. It listens and prints the URL to
 * open first; the initial workspace loads (and starts tuning, or is read back from the tune
 * cache in `.cache/tunes`) while the page loads, and the page's first calls wait for it.
 */
export async function runBrowserMode(options: BrowserModeOptions): Promise<void> {
  const started = performance.now();
  const shared = join(options.root, '..', 'shared', 'data');
  const server = await openAppServer({
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    staticDir: join(options.root, 'dist', 'renderer'),
    simulatedDir: join(options.root, 'fixtures', 'simulated'),
    dataDirs: [...(options.dataDirs ?? []), ...(existsSync(shared) ? [shared] : [])],
    ...(options.runLog !== undefined && { initialWorkspace: { kind: 'path', path: resolve(options.runLog) } }),
    initialTune: { k: 'auto' },
    tuneCacheDir: join(options.root, '.cache', 'tunes'),
    baseDir: options.root,
    runsDir: join(options.root, '.cache', 'runs'),
    stateDir: join(options.root, '.cache', 'workspace'),
  });
  console.log(`Cascade Lab (browser mode). Open this URL (it carries this launch's access token):\n\n  ${server.url}\n\nPress Ctrl-C to stop.`);
  const stopped = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  try {
    const ws = (await (await server.ready).getState()).workspace;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(ws ? `Workspace "${ws.label}"${ws.simulated ? ' (simulated data)' : ''} loaded in ${seconds} s.` : 'No workspace loaded: pick a data set or run log in the app.');
  } catch (err) {
    console.error(`Cascade Lab: the first workspace did not load, so the app starts with none: ${(err as Error).message}`);
  }
  await stopped;
  await server.close();
}
