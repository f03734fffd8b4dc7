import { Pool } from 'undici';

/** The `fetch` signature the `openai` SDK accepts as its transport. */
export type SdkFetch = (url: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface PooledFetch {
  fetch: SdkFetch;
  /** Closes the pool's sockets; calls after this fail. */
  close(): Promise<void>;
}

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  if (headers === undefined) return {};
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  if (!(headers instanceof Headers)) return { ...(headers as Record<string, string>) };
  const out: Record<string, string> = {};
  headers.forEach((value, name) => (out[name] = value));
  return out;
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/**
 * The `openai` SDK's transport for one tier: a keep-alive undici Pool of at most `connections`
 * sockets to the tier's origin. The global `fetch` costs about 1 ms of CPU per streamed call on
 * a small machine (request cloning, body teeing, WHATWG streams), which is most of a router's
 * overhead at hundreds of requests a second; `Pool.request` hands back a Node stream, and the
 * SDK iterates any async-iterable body directly. Error statuses still get a real `Response`
 * (the SDK reads their text for the error message).
 */
export function pooledFetch(baseUrl: string, connections: number): PooledFetch {
  const { origin } = new URL(baseUrl);
  const pool = new Pool(origin, { connections, keepAliveTimeout: 30_000 });
  const fetch: SdkFetch = async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.origin !== origin) throw new TypeError(`this transport only reaches ${origin}, not ${url.origin}`);
    const signal = init.signal ?? undefined;
    const answer = await pool.request({
      path: url.pathname + url.search,
      method: (init.method ?? 'GET') as 'GET',
      headers: headerRecord(init.headers),
      body: (init.body ?? null) as string | null,
      ...(signal && { signal }),
    });
    const headers = responseHeaders(answer.headers);
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      return new Response(await answer.body.text(), { status: answer.statusCode, headers });
    }
    // The subset of Response the SDK reads on a success; the body stays a Node stream.
    const ok = {
      ok: true,
      status: answer.statusCode,
      statusText: '',
      headers,
      url: url.href,
      redirected: false,
      body: answer.body,
      text: () => answer.body.text(),
      json: () => answer.body.json(),
    };
    return ok as unknown as Response;
  };
  return { fetch, close: () => pool.close() };
}
