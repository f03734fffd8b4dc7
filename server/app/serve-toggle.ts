import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { PoolFile, ServeStatus } from '../../core/app-api.js';
import type { TunedConfig } from '../../core/config.js';
import { UnsatisfiableError } from '../../core/errors.js';
import { startServer, type RunningServer } from '../serve/server.js';
import { modelsCalled } from '../serve/tuned-router.js';
import { modelTierMap } from './model-tiers.js';

export interface ServeToggleStart {
  config: TunedConfig;
  pool: PoolFile;
  /** Folder the pool's relative GGUF paths resolve against. */
  baseDir: string;
  /** Defaults to `8080`; 0 picks a free port. */
  port?: number;
  /** Defaults to `127.0.0.1`; beyond loopback `token` is required (the endpoint refuses otherwise). */
  host?: string;
  /** Bearer token every call but /health must carry. Defaults to none. */
  token?: string;
  /** Host names to answer to besides loopback names and the bound address. Defaults to `[]`. */
  allowedHosts?: string[];
}

/**
 * The OpenAI-compatible endpoint, started and stopped from the app. The endpoint reads files
 * (so `cascade-lab serve` and the app serve identically), so the current config and pool are
 * written to a private folder first.
 */
export class ServeToggle {
  readonly #onChange: (status: ServeStatus) => void;
  #running: { server: RunningServer; dir: string; models: string[] } | null = null;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(onChange: (status: ServeStatus) => void) {
    this.#onChange = onChange;
  }

  get status(): ServeStatus {
    return this.#running ? { running: true, url: this.#running.server.url, models: this.#running.models } : { running: false, url: null, models: [] };
  }

  /** Starts the endpoint, replacing a running one. */
  start(options: ServeToggleStart): Promise<ServeStatus> {
    const tierMap = modelTierMap(options.config, options.pool);
    const unmapped = modelsCalled(options.config).filter((m) => !(m in tierMap));
    if (unmapped.length > 0) {
      // Said in the app's terms before anything stops or starts; the endpoint's own check speaks of the CLI's --map.
      return Promise.reject(new UnsatisfiableError(
        `the config routes to ${unmapped.map((m) => `"${m}"`).join(', ')}, which no tier of the live pool stands for (a tier serves the run-log model it is named after; the pool has: ${options.pool.tiers.map((t) => t.name).join(', ')}): add a tier named after each`,
        'startServe',
      ));
    }
    return this.#serialise(async () => {
      await this.#stopNow();
      const dir = await mkdtemp(join(tmpdir(), 'cascade-lab-serve-'));
      try {
        const pool = { ...options.pool, tiers: options.pool.tiers.map((t) => (t.kind === 'local' && !/^[a-z]+:/i.test(t.model) && !isAbsolute(t.model) ? { ...t, model: resolve(options.baseDir, t.model) } : t)) };
        const configPath = join(dir, 'config.json');
        const poolPath = join(dir, 'pool.json');
        await writeFileAtomic(configPath, JSON.stringify(options.config));
        await writeFileAtomic(poolPath, JSON.stringify(pool));
        // The same access rules as `cascade-lab serve`, with no way around them: the app never listens beyond loopback without a token.
        const server = await startServer({ configPath, poolPath, port: options.port ?? 8080, host: options.host ?? '127.0.0.1', authToken: options.token, allowedHosts: options.allowedHosts, watch: false, tierMap });
        this.#running = { server, dir, models: ['cascade', ...pool.tiers.map((t) => t.name)] };
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
      this.#onChange(this.status);
      return this.status;
    });
  }

  /** Stops the endpoint (draining its requests); safe when none runs. */
  stop(): Promise<ServeStatus> {
    return this.#serialise(async () => {
      const was = this.#running !== null;
      await this.#stopNow();
      if (was) this.#onChange(this.status);
      return this.status;
    });
  }

  async #stopNow(): Promise<void> {
    const running = this.#running;
    this.#running = null;
    if (!running) return;
    await running.server.close();
    await rm(running.dir, { recursive: true, force: true });
  }

  #serialise<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(work, work);
    this.#busy = next.catch(() => undefined);
    return next;
  }
}
