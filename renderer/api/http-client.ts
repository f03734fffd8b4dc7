import { AppApiError, HTTP_API_PREFIX, HTTP_EVENTS_PATH, type AppClient } from '../../core/app-api.js';
import type { EngineLink } from './engine-link.js';
import { createProxyClient } from './proxy-client.js';

/** The part of a WebSocket the client uses: the browser's, or `ws` in Node. */
export interface SocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  close(): void;
}
export type SocketConstructor = new (url: string) => SocketLike;

export interface HttpClientOptions {
  /** Where the bridge listens, e.g. `http://127.0.0.1:5170`. Defaults to the page's own origin. */
  baseUrl?: string;
  /**
   * Sent as a bearer header, and in the event socket's URL. A page opened from the printed URL
   * leaves it out: its HttpOnly cookie carries the token. Defaults to none.
   */
  token?: string;
  /** The WebSocket class (Node 20 has none built in; pass `ws`'s). Defaults to `globalThis.WebSocket`. */
  WebSocket?: SocketConstructor;
  /** Wait before reopening a dropped event socket, ms. Defaults to `1000`. */
  reconnectMs?: number;
  /** The fetch to call the API with (a Node caller may bring its own connection pool). Defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Told of every call and event socket that reaches the engine or fails to; its `reconnect()` reopens the socket at once. Defaults to none. */
  link?: EngineLink;
}

/** The AppApi over the HTTP + WebSocket bridge (browser mode). */
export function createHttpClient(options: HttpClientOptions = {}): AppClient {
  const baseUrl = (options.baseUrl ?? globalThis.location.origin).replace(/\/$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const Socket = options.WebSocket ?? (globalThis.WebSocket as unknown as SocketConstructor);
  const reconnectMs = options.reconnectMs ?? 1000;
  const send = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const eventsUrl = `${baseUrl.replace(/^http/, 'ws')}${HTTP_EVENTS_PATH}${options.token ? `?token=${encodeURIComponent(options.token)}` : ''}`;

  const link = options.link;

  return createProxyClient({
    async call(method, payload) {
      let res: Response;
      let text: string;
      try {
        res = await send(`${baseUrl}${HTTP_API_PREFIX}${method}`, {
          method: 'POST',
          headers,
          credentials: 'same-origin',
          body: payload === undefined ? '' : JSON.stringify(payload),
        });
        text = await res.text();
      } catch (err) {
        // The browser says only "Failed to fetch": say which engine did not answer, and what to do.
        const detail = `${baseUrl} did not answer ${method} (${(err as Error).message}); start the engine again, then reconnect`;
        link?.down(detail);
        throw new AppApiError({ name: 'EngineDisconnectedError', message: `engine disconnected: ${detail}`, where: null });
      }
      link?.up();
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return { ok: false, error: { name: 'BridgeError', message: `${method}: HTTP ${res.status} with a body that is not JSON`, where: null } };
      }
    },
    listen(onEvent) {
      let socket: SocketLike | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let stopped = false;
      const open = () => {
        socket = new Socket(eventsUrl);
        socket.onopen = () => link?.up();
        socket.onmessage = (event) => {
          if (typeof event.data !== 'string') return;
          try {
            onEvent(JSON.parse(event.data));
          } catch {
            // A frame that is not JSON cannot be an event; the proxy reports wrong-shaped ones.
          }
        };
        socket.onclose = () => {
          if (stopped) return;
          link?.down(`the event stream from ${baseUrl} closed; retrying every ${reconnectMs / 1000} s`);
          timer = setTimeout(open, reconnectMs);
        };
      };
      open();
      const stopReconnect = link?.onReconnect(() => {
        if (stopped) return;
        clearTimeout(timer);
        if (socket) socket.onclose = null;
        socket?.close();
        open();
      });
      return () => {
        stopped = true;
        stopReconnect?.();
        clearTimeout(timer);
        socket?.close();
      };
    },
  });
}
