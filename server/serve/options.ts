import type { EmbedderSpec } from '../../core/embedder.js';
import { InvalidInputError } from '../../core/errors.js';
import type { InMemorySource } from './serving-state.js';

/** Options of `startServer` and `cascade-lab serve`; `resolveServeOptions` fills the defaults in one place. */
export interface ServeOptions {
  /** Path of the tuned config (the output of `cascade-lab tune`); required unless `source` is given. */
  configPath?: string;
  /** Path of the pool file whose tiers serve the config's models; required unless `source` is given. */
  poolPath?: string;
  /** A config and a lent pool in memory, instead of `configPath` and `poolPath` (nothing is read from disk or watched). Defaults to none. */
  source?: InMemorySource;
  /** Address to bind. Defaults to `127.0.0.1`. Anything beyond loopback needs `authToken` (or `insecureNoAuth`). */
  host?: string;
  /**
   * Host names the endpoint answers to besides loopback names and the bound address (`*`: any);
   * a request naming another Host is refused (403), so a DNS-rebound page cannot reach it. Defaults to `[]`.
   */
  allowedHosts?: string[];
  /** Listen beyond loopback with no token anyway (a warning is printed). Defaults to `false`. */
  insecureNoAuth?: boolean;
  /** Port to bind; 0 picks a free one. Defaults to `0`. */
  port?: number;
  /** Bearer token every request except /health and /ready must carry. Defaults to none (no auth). */
  authToken?: string;
  /** Folder of the JSONL decision log. Defaults to none (no log). */
  logDir?: string;
  /**
   * Which pool tier stands for each run-log model of the config (`{"gpt-4o-mini": "small"}`).
   * A config model with no entry must be a tier name itself. Defaults to `{}`.
   */
  tierMap?: Record<string, string>;
  /**
   * Where to load the config's GGUF or OpenAI-compatible embedder from, instead of the spec the
   * config was tuned with (say, the model file sits elsewhere on this machine); its id must still
   * match the fitted one. Ignored for the built-in embedder. Defaults to the config's spec.
   */
  embedder?: EmbedderSpec;
  /** The virtual model name clients send to be routed. Defaults to `cascade`. */
  routerModel?: string;
  /** Deadline of one attempt on one tier, ms. Defaults to `120000`. */
  tierTimeoutMs?: number;
  /** Per-tier deadlines that override `tierTimeoutMs`. Defaults to `{}`. */
  tierTimeouts?: Record<string, number>;
  /** Stream stage 1 at once for clusters the plan never gates (a request's `cascade.stream_stage1` wins). Defaults to `false`. */
  streamUngated?: boolean;
  /** Reload when the config or pool file changes on disk. Defaults to `true`. */
  watch?: boolean;
  /** Largest request body, bytes. Defaults to `1048576` (1 MiB). */
  maxBodyBytes?: number;
  /** Largest prompt (all messages together), characters. Defaults to `200000`. */
  maxInputChars?: number;
  /**
   * Most output tokens a request may ask for: a client's larger `max_tokens` is lowered to it (the
   * answer then ends with `finish_reason: "length"`). Without one, each tier's `sampling.maxTokens`
   * applies when the client names none. Defaults to none (no cap).
   */
  maxOutputTokens?: number;
  /** How long `close()` waits for in-flight requests before aborting them, ms. Defaults to `30000`. */
  drainTimeoutMs?: number;
  /** Rotate the decision log past this size, bytes. Defaults to `67108864` (64 MiB). */
  logMaxBytes?: number;
  /** Decision-log records held in memory at most while the disk catches up. Defaults to `10000`. */
  logMaxQueued?: number;
  /** Receives one line per reload, rejected config and similar event. Defaults to none. */
  onEvent?: (message: string) => void;
  /** What an error names as where the port, the host and a tier's deadline come from (the CLI: its flags). Defaults to `port`, `host` and `tierTimeouts`. */
  settingNames?: { port: string; host: string; tierTimeouts: string };
}

type Optional = 'authToken' | 'logDir' | 'embedder' | 'maxOutputTokens' | 'configPath' | 'poolPath' | 'source';
export type ResolvedServeOptions = Required<Omit<ServeOptions, Optional>> & Pick<ServeOptions, Optional>;

export function resolveServeOptions(o: ServeOptions): ResolvedServeOptions {
  if (o.source ? o.configPath !== undefined || o.poolPath !== undefined : o.configPath === undefined || o.poolPath === undefined) {
    throw new InvalidInputError('give either configPath and poolPath, or an in-memory source', 'startServer');
  }
  return {
    source: o.source,
    configPath: o.configPath,
    poolPath: o.poolPath,
    host: o.host ?? '127.0.0.1',
    allowedHosts: o.allowedHosts ?? [],
    insecureNoAuth: o.insecureNoAuth ?? false,
    port: o.port ?? 0,
    authToken: o.authToken,
    logDir: o.logDir,
    tierMap: o.tierMap ?? {},
    embedder: o.embedder,
    routerModel: o.routerModel ?? 'cascade',
    tierTimeoutMs: o.tierTimeoutMs ?? 120_000,
    tierTimeouts: o.tierTimeouts ?? {},
    streamUngated: o.streamUngated ?? false,
    watch: o.watch ?? true,
    maxBodyBytes: o.maxBodyBytes ?? 1024 * 1024,
    maxInputChars: o.maxInputChars ?? 200_000,
    maxOutputTokens: o.maxOutputTokens,
    drainTimeoutMs: o.drainTimeoutMs ?? 30_000,
    logMaxBytes: o.logMaxBytes ?? 64 * 1024 * 1024,
    logMaxQueued: o.logMaxQueued ?? 10_000,
    onEvent: o.onEvent ?? (() => undefined),
    settingNames: o.settingNames ?? { port: 'port', host: 'host', tierTimeouts: 'tierTimeouts' },
  };
}
