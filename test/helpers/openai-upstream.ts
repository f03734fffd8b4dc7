// A small, real OpenAI-compatible HTTP server for tests and benchmarks: it speaks
// /v1/chat/completions and /v1/completions, streamed as real Server-Sent Events or as one
// JSON body, and can be told to fail in the ways a real endpoint fails. It listens on
// 127.0.0.1 only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMessage, Tier } from '../../core/tier.js';

/**
 * How the server answers the next requests.
 * - `ok`: a normal answer.
 * - `status`: an HTTP error (500, 429, …) with an OpenAI-style error body (its `message` defaults
 *   to naming the status); after `times` such answers it goes back to `ok` (so retry paths can be
 *   tested). `times` defaults to every request.
 * - `hang`: reads the request and never answers (a timeout).
 * - `stall`: starts streaming, sends the first token, then never sends more.
 * - `close`: destroys the connection without an answer (a dead endpoint).
 * - `error-event`: starts streaming, sends the first token, then an error event inside the 200 stream.
 * - `ignore-stream`: answers a stream request with one JSON body, as some servers do.
 */
export type UpstreamBehaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; times?: number; retryAfterS?: number; message?: string }
  | { kind: 'hang' }
  | { kind: 'stall' }
  | { kind: 'close' }
  | { kind: 'error-event' }
  | { kind: 'ignore-stream' };

export interface UpstreamOptions {
  /** Defaults to `0` (any free port). */
  port?: number;
  /** Speaks the real text of this tier instead of `reply`. Defaults to none. */
  tier?: Tier;
  /** The canned answer when no tier backs the server. Defaults to `"The answer is 42."`. */
  reply?: string;
  /** Delay between streamed tokens, ms. Defaults to `0`. */
  tokenDelayMs?: number;
  /** The log-probability reported for each canned token, or a tier's token that has none. Defaults to `-0.25`. */
  tokenLogprob?: number;
  /** Defaults to `{kind: 'ok'}`. */
  behaviour?: UpstreamBehaviour;
}

export interface Upstream {
  /** Base URL with the `/v1` suffix, as the `openai` SDK's `baseURL` wants it. */
  url: string;
  /** Requests received so far (every path, every outcome). */
  readonly requests: number;
  /** The parsed body of the latest request. */
  readonly lastBody: Record<string, unknown> | undefined;
  /** Completion requests being answered now. */
  readonly open: number;
  /** Completion requests whose client hung up before the answer ended (an abort that reached this server). */
  readonly hungUp: number;
  /** Completion requests answered to their end. */
  readonly answered: number;
  setBehaviour(behaviour: UpstreamBehaviour): void;
  /** Kills the server as a crash would: every connection is cut at once and nothing listens until `revive`. */
  kill(): Promise<void>;
  /** Listens again on the same port after `kill`. */
  revive(): Promise<void>;
  close(): Promise<void>;
}

interface Piece {
  text: string;
  logprob: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function promptText(body: Record<string, unknown>): string {
  if (Array.isArray(body.messages)) return body.messages.map((m: { content?: unknown }) => String(m.content ?? '')).join('\n');
  return String(body.prompt ?? '');
}

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

export async function start(options: UpstreamOptions = {}): Promise<Upstream> {
  const reply = options.reply ?? 'The answer is 42.';
  const tokenDelayMs = options.tokenDelayMs ?? 0;
  const tokenLogprob = options.tokenLogprob ?? -0.25;
  let behaviour: UpstreamBehaviour = options.behaviour ?? { kind: 'ok' };
  let failuresLeft = Infinity;
  let requests = 0;
  let open = 0;
  let hungUp = 0;
  let answered = 0;
  // Answers cut by kill() rather than by their client.
  const answering = new Set<ServerResponse>();
  const killed = new WeakSet<ServerResponse>();
  let lastBody: Record<string, unknown> | undefined;

  function setBehaviour(b: UpstreamBehaviour) {
    behaviour = b;
    failuresLeft = b.kind === 'status' ? (b.times ?? Infinity) : Infinity;
  }
  setBehaviour(behaviour);

  // Produces the answer's pieces as they come: from the tier in real time, or the canned reply.
  async function* pieces(body: Record<string, unknown>, maxTokens: number): AsyncGenerator<Piece, { inputTokens: number; stop: string }> {
    if (!options.tier) {
      const words = reply.match(/\s*\S+/g) ?? [];
      const out = words.slice(0, maxTokens);
      for (const text of out) {
        if (tokenDelayMs) await sleep(tokenDelayMs);
        yield { text, logprob: tokenLogprob };
      }
      return { inputTokens: countWords(promptText(body)), stop: out.length < words.length ? 'length' : 'stop' };
    }
    const queue: Piece[] = [];
    let wake: (() => void) | undefined;
    let settled = false;
    const call = options.tier.generate(
      Array.isArray(body.messages)
        ? { messages: body.messages as ChatMessage[], maxTokens, logprobs: true }
        : { prompt: String(body.prompt ?? ''), maxTokens, logprobs: true },
      { onToken: (t) => { queue.push({ text: t.text, logprob: t.logprob ?? tokenLogprob }); wake?.(); } },
    );
    void call.then(() => undefined, () => undefined).finally(() => { settled = true; wake?.(); });
    for (;;) {
      while (queue.length) yield queue.shift()!;
      if (settled) break;
      await new Promise<void>((r) => { wake = r; });
    }
    const r = await call;
    return { inputTokens: r.inputTokens, stop: r.stopReason === 'length' ? 'length' : 'stop' };
  }

  async function answer(req: IncomingMessage, res: ServerResponse, chat: boolean) {
    const raw = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'malformed JSON body', type: 'invalid_request_error' } }));
      return;
    }
    lastBody = body;
    const b = behaviour;
    if (b.kind === 'close') return void req.socket.destroy();
    if (b.kind === 'hang') return;
    if (b.kind === 'status' && failuresLeft > 0) {
      failuresLeft--;
      if (failuresLeft === 0) setBehaviour({ kind: 'ok' });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (b.retryAfterS !== undefined) headers['retry-after'] = String(b.retryAfterS);
      res.writeHead(b.status, headers).end(JSON.stringify({ error: { message: b.message ?? `upstream told to answer ${b.status}`, type: b.status < 500 ? 'invalid_request_error' : 'server_error' } }));
      return;
    }
    const id = `cmpl-${requests}`;
    const model = String(body.model ?? 'upstream');
    const created = Math.floor(Date.now() / 1000);
    const maxTokens = Number(body.max_completion_tokens ?? body.max_tokens ?? 256);
    const wantLogprobs = chat ? body.logprobs === true : typeof body.logprobs === 'number';
    const stream = body.stream === true && b.kind !== 'ignore-stream';
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const object = chat ? 'chat.completion' : 'text_completion';

    const chunkOf = (p: Piece) =>
      chat
        ? { index: 0, delta: { role: 'assistant', content: p.text }, finish_reason: null, logprobs: wantLogprobs ? { content: [{ token: p.text, bytes: null, logprob: p.logprob, top_logprobs: [] }] } : null }
        : { index: 0, text: p.text, finish_reason: null, logprobs: wantLogprobs ? { tokens: [p.text], token_logprobs: [p.logprob], top_logprobs: [], text_offset: [0] } : null };

    const gen = pieces(body, maxTokens);
    const all: Piece[] = [];
    if (stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
      let step = await gen.next();
      while (!step.done) {
        all.push(step.value);
        send({ id, object: `${object}${chat ? '.chunk' : ''}`, created, model, choices: [chunkOf(step.value)] });
        if (behaviour.kind === 'stall') return;
        if (behaviour.kind === 'error-event') return void res.end(`data: ${JSON.stringify({ error: { message: 'the upstream failed mid-stream', type: 'server_error' } })}\n\n`);
        step = await gen.next();
      }
      const { inputTokens, stop } = step.value;
      const final = chat ? { index: 0, delta: {}, finish_reason: stop, logprobs: null } : { index: 0, text: '', finish_reason: stop, logprobs: null };
      send({ id, object: `${object}${chat ? '.chunk' : ''}`, created, model, choices: [final] });
      if (includeUsage) {
        send({ id, object: `${object}${chat ? '.chunk' : ''}`, created, model, choices: [], usage: { prompt_tokens: inputTokens, completion_tokens: all.length, total_tokens: inputTokens + all.length } });
      }
      res.end('data: [DONE]\n\n');
      return;
    }
    let step = await gen.next();
    while (!step.done) {
      all.push(step.value);
      step = await gen.next();
    }
    const { inputTokens, stop } = step.value;
    const text = all.map((p) => p.text).join('');
    const choice = chat
      ? { index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: stop, logprobs: wantLogprobs ? { content: all.map((p) => ({ token: p.text, bytes: null, logprob: p.logprob, top_logprobs: [] })) } : null }
      : { index: 0, text, finish_reason: stop, logprobs: wantLogprobs ? { tokens: all.map((p) => p.text), token_logprobs: all.map((p) => p.logprob), top_logprobs: [], text_offset: [] } : null };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      id, object, created, model, choices: [choice],
      usage: { prompt_tokens: inputTokens, completion_tokens: all.length, total_tokens: inputTokens + all.length },
    }));
  }

  const server = createServer((req, res) => {
    requests++;
    const path = (req.url ?? '').split('?')[0];
    const chat = path === '/v1/chat/completions';
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'upstream', object: 'model', created: 0, owned_by: 'test' }] }));
      return;
    }
    if (req.method !== 'POST' || (!chat && path !== '/v1/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } }));
      return;
    }
    open++;
    answering.add(res);
    res.on('close', () => {
      open--;
      answering.delete(res);
      if (res.writableEnded) answered++;
      else if (!killed.has(res)) hungUp++;
    });
    answer(req, res, chat).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(err), type: 'server_error' } }));
    });
  });
  const listen = (on: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(on, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  await listen(options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  const stop = () => new Promise<void>((resolve) => {
    for (const res of answering) killed.add(res);
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() { return requests; },
    get lastBody() { return lastBody; },
    get open() { return open; },
    get hungUp() { return hungUp; },
    get answered() { return answered; },
    setBehaviour,
    kill: stop,
    revive: () => listen(port),
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
