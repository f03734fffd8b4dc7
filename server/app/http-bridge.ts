import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { HTTP_API_PREFIX as API_PREFIX, HTTP_EVENTS_PATH as EVENTS_PATH, isAppMethod, type AppClient, type Reply } from '../../core/app-api.js';
import { dispatchAppCall } from './dispatch.js';
import { contentTypeOf, RENDERER_HEADERS, resolveStaticFile } from './static-files.js';

export interface HttpBridgeOptions {
  /** Port to listen on; 0 picks a free one. Defaults to `0`. */
  port?: number;
  /**
   * Interface to bind. Anything but loopback exposes the app to the network, token or not.
   * Defaults to `127.0.0.1`.
   */
  host?: string;
  /** The built renderer to serve (dist/renderer); null serves the API alone. Defaults to `null`. */
  staticDir?: string | null;
  /** The access token; tests may fix it. Defaults to 32 random bytes, base64url, new each launch. */
  token?: string;
  /** Largest request body, bytes (an uploaded run log is the big one). Defaults to `268435456` (256 MiB). */
  maxBodyBytes?: number;
}

export interface HttpBridge {
  /** The URL to open: it carries the token once; the page then keeps it in an HttpOnly cookie. */
  readonly url: string;
  /** `http://host:port`, without the token. */
  readonly origin: string;
  readonly token: string;
  readonly port: number;
  /** Stops listening and drops every connection; safe to call twice. */
  close(): Promise<void>;
}


// By class name, as the reply carries it; InvalidInputError's subclasses are bad input too.
const ERROR_STATUS: Readonly<Record<string, number>> = {
  InvalidInputError: 400,
  MalformedLineError: 400,
  MissingColumnError: 400,
  UnknownQueryError: 400,
  ContextLengthExceededError: 400,
  UnsupportedVersionError: 400,
  ConflictError: 409,
  UnsatisfiableError: 422,
};

function sameToken(expected: Buffer, given: string | undefined | null): boolean {
  if (!given) return false;
  const g = Buffer.from(given);
  return g.length === expected.length && timingSafeEqual(g, expected);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(text);
}

function refuse(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { ok: false, error: { name: 'AccessError', message, where: null } } satisfies Reply);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

const NO_TOKEN_PAGE = '<!doctype html><meta charset="utf-8"><title>Cascade Lab</title><p>Cascade Lab needs its access token: open the URL that <code>npm start</code> printed in the terminal.</p>';

/**
 * Serves one AppApi over HTTP (POST /api/<method>) and its events over a WebSocket, with the
 * built renderer beside them. Every request must name this server in Host (so a rebound DNS
 * name cannot reach it), come from this origin if it names one, and carry the launch token:
 * as a bearer header, or as the cookie set when the page was opened with `?token=`.
 */
export async function startHttpBridge(api: AppClient, options: HttpBridgeOptions = {}): Promise<HttpBridge> {
  const host = options.host ?? '127.0.0.1';
  const staticDir = options.staticDir ?? null;
  const token = options.token ?? randomBytes(32).toString('base64url');
  const maxBodyBytes = options.maxBodyBytes ?? 256 * 1024 * 1024;
  const expected = Buffer.from(token);
  let port = 0;
  let allowedHosts = new Set<string>();
  // Cookies ignore ports, so the name carries it: two instances never overwrite each other's.
  const cookieName = () => `cascade_lab_${port}`;

  const hostAllowed = (req: IncomingMessage) => allowedHosts.has((req.headers.host ?? '').toLowerCase());
  const originAllowed = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    if (req.headers['sec-fetch-site'] === 'cross-site') return false;
    if (origin === undefined) return true;
    try {
      const u = new URL(origin);
      return u.protocol === 'http:' && allowedHosts.has(u.host.toLowerCase());
    } catch {
      return false;
    }
  };
  const bearer = (req: IncomingMessage) => {
    const auth = req.headers.authorization;
    return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
  };
  const authorised = (req: IncomingMessage, url: URL) =>
    sameToken(expected, bearer(req)) || sameToken(expected, cookieValue(req.headers.cookie, cookieName())) ||
    (req.method === 'GET' && sameToken(expected, url.searchParams.get('token')));

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBodyBytes) throw new RangeError(`request body is over ${maxBodyBytes} bytes`);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') return refuse(res, 405, `${req.method} ${API_PREFIX}${method}: use POST`);
    if (!isAppMethod(method)) return refuse(res, 404, `unknown method "${method}"`);
    // A JSON content type cannot be sent cross-site without a CORS preflight, which this server never grants.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(res, 415, `${method}: send the request as application/json`);
    let text: string;
    try {
      text = await readBody(req);
    } catch (err) {
      return refuse(res, 413, `${method}: ${(err as Error).message}`);
    }
    let payload: unknown;
    try {
      payload = text.trim() === '' ? undefined : JSON.parse(text);
    } catch (err) {
      return sendJson(res, 400, { ok: false, error: { name: 'InvalidInputError', message: `${method} request: malformed JSON (${(err as Error).message})`, where: `${method} request` } } satisfies Reply);
    }
    const reply = await dispatchAppCall(api, method, payload);
    sendJson(res, reply.ok ? 200 : (ERROR_STATUS[reply.error.name] ?? 500), reply);
  }

  function handlePage(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, `${req.method} is not served here`);
    if (url.searchParams.has('token')) {
      // Trade the token in the URL for a cookie, then drop it from the address bar and history.
      url.searchParams.delete('token');
      res.writeHead(303, {
        location: url.pathname + url.search,
        'set-cookie': `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      return void res.end();
    }
    const file = staticDir ? resolveStaticFile(staticDir, url.pathname) : null;
    if (!file) return refuse(res, 404, `${url.pathname}: not found${staticDir ? '' : ' (this server has no renderer build to serve)'}`);
    res.writeHead(200, { ...RENDERER_HEADERS, 'content-type': contentTypeOf(file), 'cache-control': 'no-cache' });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (!hostAllowed(req)) return refuse(res, 403, `Host "${req.headers.host ?? ''}" is not this server (DNS rebinding?)`);
    if (!originAllowed(req)) return refuse(res, 403, `Origin "${req.headers.origin ?? req.headers['sec-fetch-site'] ?? ''}" may not call this server`);
    if (!authorised(req, url)) {
      if (url.pathname.startsWith(API_PREFIX)) return refuse(res, 401, 'missing or wrong access token');
      res.writeHead(401, { ...RENDERER_HEADERS, 'content-type': 'text/html; charset=utf-8' });
      return void res.end(NO_TOKEN_PAGE);
    }
    if (url.pathname.startsWith(API_PREFIX)) {
      handleApi(req, res, url.pathname.slice(API_PREFIX.length)).catch((err: unknown) => refuse(res, 500, (err as Error).message));
      return;
    }
    handlePage(req, res, url);
  });

  // Idle connections outlive any client's own keep-alive (undici's, a browser's), so a client never
  // sends on a socket the server is closing at that moment ("other side closed").
  server.keepAliveTimeout = 65_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (url.pathname !== EVENTS_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    if (!hostAllowed(req) || !originAllowed(req)) return refuseUpgrade(socket, 403, 'Forbidden');
    const viaQuery = sameToken(expected, url.searchParams.get('token'));
    if (!viaQuery && !sameToken(expected, bearer(req)) && !sameToken(expected, cookieValue(req.headers.cookie, cookieName()))) {
      return refuseUpgrade(socket, 401, 'Unauthorized');
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws: WebSocket) => {
    const unsubscribe = api.subscribe((event) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
    });
    ws.on('close', unsubscribe);
    // The stream is one-way; a client that talks is misbehaving.
    ws.on('message', () => ws.close(1003, 'this socket only sends events'));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  // A wildcard bind is reached through loopback from this machine; other names must be the bound one.
  const named = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${named.toLowerCase()}:${port}`]);
  const origin = `http://${named}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
