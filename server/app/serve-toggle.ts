import type { ServeStatus } from '../../core/app-api.js';
import { modelsCalled } from '../../core/cascade/router.js';
import type { TunedConfig } from '../../core/config.js';
import { UnsatisfiableError } from '../../core/errors.js';
import type { TierPool } from '../../native-models/tiers/pool.js';
import { startServer, type RunningServer } from '../serve/server.js';
import { modelTierMap } from './model-tiers.js';

export interface ServeToggleStart {
  config: TunedConfig;
  /** The workspace's pool, lent: the endpoint serves with its tiers and leaves them loaded when it stops. */
  tiers: TierPool;
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
 * The OpenAI-compatible endpoint, started and stopped from the app: the same server as
 * `cascade-lab serve`, given the current config in memory and the workspace's pool of tiers.
 */
export class ServeToggle {
  readonly #onChange: (status: ServeStatus) => void;
  #running: { server: RunningServer; tiers: TierPool; models: string[] } | null = null;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(onChange: (status: ServeStatus) => void) {
    this.#onChange = onChange;
  }

  get status(): ServeStatus {
    return this.#running ? { running: true, url: this.#running.server.url, models: this.#running.models } : { running: false, url: null, models: [] };
  }

  /** The pool the running endpoint serves with; null when none runs. */
  get tiers(): TierPool | null {
    return this.#running?.tiers ?? null;
  }

  /** Starts the endpoint, replacing a running one. */
  start(options: ServeToggleStart): Promise<ServeStatus> {
    const pool = options.tiers.loaded.pool;
    const tierMap = modelTierMap(options.config, pool);
    const unmapped = modelsCalled(options.config).filter((m) => !(m in tierMap));
    if (unmapped.length > 0) {
      // Said in the app's terms before anything stops or starts; the endpoint's own check speaks of the CLI's --map.
      return Promise.reject(new UnsatisfiableError(
        `the config routes to ${unmapped.map((m) => `"${m}"`).join(', ')}, which no tier of the live pool stands for (the pool has: ${pool.tiers.map((t) => t.name).join(', ')}): pick each in a tier's Stands for, or name a tier after it`,
        'startServe',
      ));
    }
    return this.#serialise(async () => {
      await this.#stopNow();
      // The same access rules as `cascade-lab serve`, with no way around them: the app never listens beyond loopback without a token.
      const server = await startServer({
        source: { config: options.config, pool: options.tiers },
        port: options.port ?? 8080, host: options.host ?? '127.0.0.1', authToken: options.token, allowedHosts: options.allowedHosts, watch: false,
      });
      this.#running = { server, tiers: options.tiers, models: ['cascade', ...pool.tiers.map((t) => t.name)] };
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
  }

  #serialise<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(work, work);
    this.#busy = next.catch(() => undefined);
    return next;
  }
}
