import { Command, InvalidArgumentError, Option } from 'commander';
import { parseEmbedderSpec, type EmbedderSpec } from '../../core/embedder.js';
import { InvalidInputError } from '../../core/errors.js';
import { collect } from './options.js';

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 0`);
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a whole number > 0`);
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a port (0–65535)`);
  return n;
}

function milliseconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`"${value}" is not a whole number of milliseconds > 0`);
  return n;
}

/** Collects repeated `KEY=VALUE` options into a record. */
function keyValue<T>(parse: (value: string) => T) {
  return (whole: string, previous: Record<string, T> = {}): Record<string, T> => {
    const eq = whole.indexOf('=');
    if (eq <= 0 || eq === whole.length - 1) throw new InvalidArgumentError(`"${whole}" is not KEY=VALUE`);
    return { ...previous, [whole.slice(0, eq)]: parse(whole.slice(eq + 1)) };
  };
}

/** Adds `cascade-lab serve`: the tuned config as an OpenAI-compatible endpoint over the pool's tiers. */
export function register(program: Command): void {
  program.addCommand(serveCommand());
}

function serveCommand(): Command {
  return new Command('serve')
    // A command added whole does not inherit the program's settings: usage errors exit 2 here too.
    .exitOverride()
    .showHelpAfterError()
    .description('Serve a tuned config as an OpenAI-compatible endpoint that routes every request through the cascade')
    .requiredOption('--config <file>', 'tuned config (the output of `cascade-lab tune`)')
    .requiredOption('--pool <file>', 'pool file whose tiers answer')
    .option('--host <address>', 'address to bind; beyond loopback it needs --auth-token-env (or --insecure-no-auth)', '127.0.0.1')
    .option('--allowed-host <name>', 'a Host name to answer to besides loopback names and the bound address (repeatable; * for any)', collect, [])
    .option('--insecure-no-auth', 'listen beyond loopback with no token (prints a warning; only behind a firewall you trust)', false)
    .addOption(new Option('--port <n>', 'port to bind (0: any free port)').default(8080).argParser(port))
    .option('--auth-token-env <VAR>', 'require `Authorization: Bearer <token>`, the token read from this environment variable')
    .option('--log-dir <dir>', 'write the JSONL decision log here')
    .option('--map <MODEL=TIER>', "serve the config's run-log MODEL with pool TIER (repeatable)", keyValue((v) => v))
    .option('--router-model <name>', 'model name that selects the router', 'cascade')
    .addOption(new Option('--embedder <spec>', "load the config's GGUF or OpenAI-compatible embedder from here (gguf:PATH or openai:URL#MODEL); its id must match").argParser((v) => parseEmbedderSpec(v)))
    .addOption(new Option('--tier-timeout <ms>', 'deadline of one attempt on a tier').default(120_000).argParser(milliseconds))
    .option('--tier-timeout-for <TIER=MS>', 'deadline of one attempt on this tier (repeatable)', keyValue(milliseconds))
    .option('--stream-ungated', 'stream stage 1 at once for clusters the plan never gates', false)
    .option('--no-watch', 'do not reload when the config or pool file changes (SIGHUP still reloads)')
    .addOption(new Option('--max-body-bytes <n>', 'largest request body').default(1024 * 1024).argParser(positive))
    .addOption(new Option('--max-input-chars <n>', 'largest prompt, all messages together').default(200_000).argParser(positive))
    .addOption(new Option('--max-output-tokens <n>', "most output tokens a request may ask for (a client's larger max_tokens is lowered to it)").argParser(positive))
    .addOption(new Option('--drain-timeout <ms>', 'how long shutdown waits for in-flight requests').default(30_000).argParser(wholeNumber))
    .addOption(new Option('--log-max-bytes <n>', 'rotate the decision log past this size').default(64 * 1024 * 1024).argParser(wholeNumber))
    .action(async (o: {
      config: string; pool: string; host: string; allowedHost: string[]; insecureNoAuth: boolean; port: number; authTokenEnv?: string; logDir?: string; map?: Record<string, string>; embedder?: EmbedderSpec;
      routerModel: string; tierTimeout: number; tierTimeoutFor?: Record<string, number>; streamUngated: boolean; watch: boolean;
      maxBodyBytes: number; maxInputChars: number; maxOutputTokens?: number; drainTimeout: number; logMaxBytes: number;
    }) => {
      let authToken: string | undefined;
      if (o.authTokenEnv !== undefined) {
        authToken = process.env[o.authTokenEnv];
        if (!authToken) throw new InvalidInputError(`the environment variable ${o.authTokenEnv} is not set or empty`, '--auth-token-env');
      }
      // The server and its tiers load when it starts, not with the CLI.
      const { startServer } = await import('../serve/server.js');
      const server = await startServer({
        configPath: o.config,
        poolPath: o.pool,
        host: o.host,
        allowedHosts: o.allowedHost,
        insecureNoAuth: o.insecureNoAuth,
        port: o.port,
        authToken,
        logDir: o.logDir,
        tierMap: o.map,
        embedder: o.embedder,
        routerModel: o.routerModel,
        tierTimeoutMs: o.tierTimeout,
        tierTimeouts: o.tierTimeoutFor,
        streamUngated: o.streamUngated,
        watch: o.watch,
        maxBodyBytes: o.maxBodyBytes,
        maxInputChars: o.maxInputChars,
        maxOutputTokens: o.maxOutputTokens,
        drainTimeoutMs: o.drainTimeout,
        logMaxBytes: o.logMaxBytes,
        onEvent: (message) => console.error(message),
        settingNames: { port: '--port', host: '--host', tierTimeouts: '--tier-timeout-for' },
      });
      console.log(`cascade-lab serve: listening on ${server.url} (model "${o.routerModel}"; OpenAI base URL ${server.url}/v1)`);
      process.on('SIGHUP', () => void server.reload().catch(() => undefined));
      const stop = (signal: string) => {
        console.error(`serve: ${signal}: draining in-flight requests`);
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
