// The renderer's HTTP client for tests that drive the app's bridge from Node: the `ws` WebSocket,
// and a connection pool of its own whose idle sockets close long before the server's, so no call
// ever races the server closing a kept-alive socket.
import { Agent, fetch as undiciFetch } from 'undici';
import WebSocket from 'ws';
import type { AppClient } from '../../core/app-api.js';
import { createHttpClient } from '../../renderer/api/http-client.js';

export function bridgeClient(server: { origin: string; token: string }): AppClient {
  const dispatcher = new Agent({ keepAliveTimeout: 1000, keepAliveMaxTimeout: 1000 });
  const send = ((input: string, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
  return createHttpClient({ baseUrl: server.origin, token: server.token, WebSocket: WebSocket as never, reconnectMs: 50, fetch: send });
}
