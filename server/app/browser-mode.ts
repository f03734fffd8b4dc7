import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startAppServer } from './app-server.js';

export interface BrowserModeOptions {
  /** Repository (or installed app) root: holds dist/renderer and fixtures/simulated. */
  root: string;
  /** Defaults to `0` (a free port). */
  port?: number;
  /** Defaults to `127.0.0.1`. */
  host?: string;
  /** Data folders to list; `../shared/data` beside the root is added when it exists. Defaults to `[]`. */
  dataDirs?: string[];
}

/** Serves the playground to a browser until SIGINT or SIGTERM, printing the URL to open. */
export async function runBrowserMode(options: BrowserModeOptions): Promise<void> {
  const shared = join(options.root, '..', 'shared', 'data');
  const server = await startAppServer({
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    staticDir: join(options.root, 'dist', 'renderer'),
    simulatedDir: join(options.root, 'fixtures', 'simulated'),
    dataDirs: [...(options.dataDirs ?? []), ...(existsSync(shared) ? [shared] : [])],
    baseDir: options.root,
    runsDir: join(options.root, '.cache', 'runs'),
  });
  const ws = (await server.service.getState()).workspace;
  console.log(`Cascade Lab (browser mode) is serving ${ws ? `"${ws.label}"${ws.simulated ? ' — simulated data' : ''}` : 'no workspace'}.`);
  console.log(`Open this URL (it carries this launch's access token):\n\n  ${server.url}\n\nPress Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}
