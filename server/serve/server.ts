import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Cancellation } from '../../core/cancellation.js';
import { InvalidInputError, UnknownTierError } from '../../core/errors.js';
import type { GenerateRequest, GenerationResult } from '../../core/tier.js';
import { checkBind, HostRules, requireJsonBody } from './access.js';
import { readBody } from './body.js';
import { directDecision, type CascadeDecision } from '../../core/cascade/router.js';
import { NO_SINK, runCascade, type CascadeOutcome } from '../cascade/run.js';
import { ClientAbortedError, type Fallback, type TierCallPolicy } from '../cascade/tier-call.js';
import { cascadeHeaders, fallbackHeader, SseDelivery, traceBody, type Delivery } from './delivery.js';
import { DecisionLog } from './decision-log.js';
import {
  AllTiersFailedError,
  AuthenticationError,
  InvalidRequestError,
  NotReadyError,
  RouteNotFoundError,
  ServeRequestError,
  UnknownModelError,
} from './errors.js';
import { ServeMetrics } from './metrics.js';
import { completionBody, SseWriter } from './openai-format.js';
import { resolveServeOptions, type ServeOptions } from './options.js';
import { readiness } from './readiness.js';
import { parseRequest, type Endpoint, type ServeRequest } from './request.js';
import { routingText } from './router.js';
import { ServingStateHolder, type ServingState } from './serving-state.js';
import { describeFailure, guardProcess, runOwned } from '../unexpected.js';

/** A running endpoint. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080` (clients add `/v1`). */
  readonly url: string;
  /** Re-reads the config and pool files; rejects (and keeps serving the old ones) when they are bad. */
  reload(): Promise<void>;
  /** Stops accepting requests, drains in-flight ones (up to `drainTimeoutMs`), then frees the tiers. Safe to call twice. */
  close(): Promise<void>;
  readonly metrics: ServeMetrics;
}

const NO_RETRY = { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 };
const JSON_HEADERS = { 'content-type': 'application/json' };

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, ...headers, 'content-length': String(Buffer.byteLength(text)) }).end(text);
}

/** The `x-cascade-stream-stage1` header, for clients that cannot add body fields; undefined when absent. */
function streamStage1Header(req: IncomingMessage): boolean | undefined {
  const value = req.headers['x-cascade-stream-stage1'];
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidRequestError(`The header x-cascade-stream-stage1 must be true or false, got "${String(value)}"`, 'x-cascade-stream-stage1', 'invalid_value');
}

// A client's own request id is echoed when it is a plain token; anything else gets a fresh one.
const CLIENT_REQUEST_ID = /^[\w.:-]{1,128}$/;

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

/** A path segment with its %-escapes decoded; as sent when they are malformed (it then names no model). */
function decodedPathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** A bind that fails for a reason the user can fix, as an error naming the address and the flag. */
function listenError(err: unknown, host: string, port: number, names: { port: string; host: string }): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const why: Record<string, [string, string]> = {
    EADDRINUSE: ['another process is listening there', names.port],
    EACCES: ['permission denied (ports below 1024 need privileges)', names.port],
    EADDRNOTAVAIL: ['no network interface of this machine has that address', names.host],
  };
  const known = code === undefined ? undefined : why[code];
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return known ? new InvalidInputError(`cannot listen on ${address}: ${known[0]}`, known[1]) : err;
}

function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Starts the OpenAI-compatible endpoint for a tuned config over a pool: loads both (throwing
 * on a bad one), binds, and serves until `close()`.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const opts = resolveServeOptions(options);
  // Before anything loads: a refused bind fails at once.
  const bindWarning = checkBind(opts.host, opts.authToken, opts.insecureNoAuth);
  const hosts = new HostRules(opts.host, opts.allowedHosts);
  const metrics = new ServeMetrics();
  const holder = await ServingStateHolder.open(opts, metrics);
  metrics.observeHardware(() => holder.current.tiers.values());
  let log: DecisionLog | undefined;
  try {
    // A deadline for a tier the pool lacks is a typo that would otherwise go unnoticed.
    const unknown = Object.keys(opts.tierTimeouts).filter((name) => !holder.current.tiers.has(name));
    if (unknown.length) throw new UnknownTierError(`no tier ${unknown.map((n) => `"${n}"`).join(', ')} in the pool (it has: ${[...holder.current.tiers.keys()].join(', ')})`, opts.settingNames.tierTimeouts);
    if (opts.logDir) {
      log = await DecisionLog.open({
        dir: opts.logDir,
        maxBytes: opts.logMaxBytes,
        maxQueued: opts.logMaxQueued,
        onDrop: (n) => metrics.logDropped.inc(n),
        onWrite: (n) => metrics.logWritten.inc(n),
      });
    }
  } catch (err) {
    await holder.close();
    throw err;
  }
  const expectedToken = opts.authToken === undefined ? undefined : tokenDigest(opts.authToken);
  const inflight = new Set<Cancellation>();
  let draining = false;
  let drained: (() => void) | undefined;

  const authorised = (req: IncomingMessage): boolean => {
    if (!expectedToken) return true;
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    return match !== null && timingSafeEqual(tokenDigest(match[1].trim()), expectedToken);
  };

  /** Logs and counts a failure nothing else handled; the process keeps serving. */
  const unexpected = (err: unknown, requestId: string | null) => {
    metrics.unexpected.inc();
    opts.onEvent(`serve: unexpected error${requestId === null ? '' : ` in request ${requestId}`}: ${describeFailure(err)}`);
  };
  const releaseGuard = guardProcess(unexpected);

  const server = createServer((req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    runOwned({ id: requestId, report: unexpected }, () => {
      handle(req, res, requestId).catch((err: unknown) => writeError(res, err, {}, requestId));
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if ((method === 'GET' || method === 'HEAD') && path === '/health') return sendJson(res, 200, { status: 'ok' });
    hosts.check(req);
    if (method === 'GET' && path === '/ready') {
      const report = await readiness(holder.current, draining);
      // Load balancers probe without a token: they get the verdict; the per-tier detail is the operator's.
      return sendJson(res, report.ready ? 200 : 503, authorised(req) ? report : { ready: report.ready, draining: report.draining });
    }
    if (!authorised(req)) throw new AuthenticationError();
    if (method === 'GET' && path === '/metrics') {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      return;
    }
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) return sendJson(res, 200, modelList(holder.current));
    const one = method === 'GET' ? /^(?:\/v1)?\/models\/(.+)$/.exec(path) : null;
    if (one) {
      const id = decodedPathPart(one[1]);
      const state = holder.current;
      const model = modelList(state).data.find((m) => m.id === id);
      if (!model) throw new UnknownModelError(id, [state.router.name, ...state.tiers.keys()]);
      return sendJson(res, 200, model);
    }
    if (method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions')) return complete(req, res, 'chat', requestId);
    if (method === 'POST' && (path === '/v1/completions' || path === '/completions')) return complete(req, res, 'completions', requestId);
    throw new RouteNotFoundError(method, path);
  }

  function modelList(state: ServingState) {
    const created = Math.floor(state.loadedAt / 1000);
    return {
      object: 'list',
      data: [
        { id: state.router.name, object: 'model', created, owned_by: 'cascade-lab', cascade: { kind: 'router', tiers: state.router.tiers } },
        ...[...state.tiers.values()].map((t) => ({ id: t.name, object: 'model', created, owned_by: 'cascade-lab', cascade: { kind: t.kind } })),
      ],
    };
  }

  function policyOf(state: ServingState): TierCallPolicy {
    return {
      timeoutMs: (tier) => opts.tierTimeouts[tier] ?? opts.tierTimeoutMs,
      retry: (tier) => state.retries.get(tier) ?? NO_RETRY,
    };
  }

  async function complete(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, requestId: string): Promise<void> {
    if (draining) throw new NotReadyError('The server is shutting down', null, 'shutting_down');
    const t0 = performance.now();
    const cancel = new Cancellation();
    inflight.add(cancel);
    metrics.inflight.inc();
    // The request's own state, so a reload mid-request never mixes two configs in one answer.
    const state = holder.current;
    let request: ServeRequest | undefined;
    let decision: CascadeDecision | undefined;
    let outcome: CascadeOutcome | undefined;
    let delivery: Delivery | null = null;
    const calls: GenerationResult[] = [];
    let status = 200;
    let failed: readonly Fallback[] = [];
    const onClose = () => {
      if (!res.writableFinished) cancel.abort(new ClientAbortedError());
    };
    res.on('close', onClose);
    try {
      requireJsonBody(req);
      request = parseRequest(endpoint, await readBody(req, opts.maxBodyBytes), { maxInputChars: opts.maxInputChars });
      const text = routingText(request);
      const direct = request.model !== state.router.name;
      if (direct && !state.tiers.has(request.model)) throw new UnknownModelError(request.model, [state.router.name, ...state.tiers.keys()]);
      const routed = direct ? directDecision(request.model) : await state.router.route(text);
      decision = routed;
      const id = `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      const generate: GenerateRequest = request.messages ? { messages: request.messages, ...request.sampling } : { prompt: request.prompt, ...request.sampling };
      if (!direct && routed.gate && state.router.wantsLogprobs) generate.logprobs = true;
      // The operator's cap holds whatever the client asks; the tiers' own defaults are the operator's already.
      if (opts.maxOutputTokens !== undefined && generate.maxTokens !== undefined && generate.maxTokens > opts.maxOutputTokens) generate.maxTokens = opts.maxOutputTokens;
      const sse = request.stream ? new SseDelivery(new SseWriter(res, endpoint, id, request.model, created), routed, request.streamStage1 ?? streamStage1Header(req) ?? opts.streamUngated) : null;
      outcome = await runCascade({
        tiers: state.tiers,
        router: direct ? null : state.router,
        decision: routed,
        text,
        request: generate,
        policy: policyOf(state),
        signal: cancel,
        sink: sse ?? NO_SINK,
        calls,
      });
      delivery = sse ? sse.delivery(outcome) : 'json';
      if (sse) sse.finish(outcome, request.includeUsage);
      else {
        const answer = completionBody(endpoint, id, request.model, created, outcome.result, outcome.calls, traceBody(outcome.trace, outcome.calls, delivery));
        sendJson(res, 200, answer, { ...cascadeHeaders(outcome.trace), 'x-cascade-overhead-ms': (performance.now() - t0 - outcome.tierMs).toFixed(3) });
      }
    } catch (err) {
      status = err instanceof ServeRequestError ? err.status : err instanceof ClientAbortedError ? 499 : 500;
      if (err instanceof ClientAbortedError) metrics.clientAborts.inc();
      const headers: Record<string, string> = {};
      if (decision && err instanceof AllTiersFailedError) {
        headers['x-cascade-cluster'] = decision.cluster < 0 ? 'none' : String(decision.cluster);
        headers['x-cascade-stage1'] = decision.ladder[0];
        headers['x-cascade-fallback'] = fallbackHeader(err.fallbacks);
        failed = err.fallbacks;
      }
      writeError(res, err, headers, requestId);
    } finally {
      res.off('close', onClose);
      inflight.delete(cancel);
      metrics.inflight.dec();
      if (draining && inflight.size === 0) drained?.();
      record(requestId, endpoint, request, decision, outcome, delivery, calls, status, performance.now() - t0, failed);
    }
  }

  /**
   * `calls`: every tier call that answered, paid for whether or not the request then succeeded;
   * `failed`: the tiers' failures of a request that no tier answered (a trace holds the others').
   */
  function record(requestId: string, endpoint: Endpoint, request: ServeRequest | undefined, decision: CascadeDecision | undefined, outcome: CascadeOutcome | undefined, delivery: Delivery | null, calls: readonly GenerationResult[], status: number, totalMs: number, failed: readonly Fallback[]) {
    const cluster = decision && decision.cluster >= 0 ? String(decision.cluster) : 'none';
    metrics.requests.inc({ endpoint, model: request ? (decision ? request.model : 'unknown') : 'invalid', cluster, tier: outcome?.trace.final ?? 'none', status: String(status) });
    for (const f of outcome?.trace.fallbacks ?? failed) metrics.fallbacks.inc({ cluster, from: f.from, to: f.to ?? 'none', reason: f.reason });
    if (outcome) {
      const { trace } = outcome;
      metrics.overhead.observe(Math.max(0, totalMs - outcome.tierMs) / 1000);
      for (const score of trace.qeScores) metrics.qeScore.observe({ cluster }, score);
      if (trace.escalated) metrics.escalations.inc({ cluster, from: trace.stage1, to: trace.final });
    }
    let cost = 0;
    for (const r of calls) {
      metrics.tierCalls.inc({ tier: r.tier, cluster });
      metrics.tokens.inc({ tier: r.tier, direction: 'input' }, r.inputTokens);
      metrics.tokens.inc({ tier: r.tier, direction: 'output' }, r.outputTokens);
      metrics.cost.inc({ tier: r.tier }, r.costUsd);
      metrics.ttft.observe({ tier: r.tier }, r.ttftMs / 1000);
      if (r.outputTokens > 1) metrics.tpot.observe({ tier: r.tier }, r.tpotMs / 1000);
      metrics.latency.observe({ tier: r.tier }, r.latencyMs / 1000);
      cost += r.costUsd;
    }
    // One line per request, answered or not: a refused, failed or abandoned one says how far it got.
    const trace = outcome?.trace;
    log?.append({
      ts: new Date().toISOString(),
      requestId,
      endpoint,
      model: request?.model,
      stream: request?.stream,
      cluster: trace ? trace.cluster : decision && decision.cluster >= 0 ? decision.cluster : null,
      plan: decision?.plan,
      ladder: decision?.ladder,
      threshold: trace?.threshold ?? decision?.threshold ?? null,
      stage1: trace?.stage1 ?? null,
      final: trace?.final ?? null,
      escalated: trace?.escalated ?? false,
      qe: trace?.qeScores ?? [],
      agree: trace?.agree ?? null,
      fallbacks: trace?.fallbacks ?? failed,
      delivery,
      status,
      inputTokens: calls.reduce((n, r) => n + r.inputTokens, 0),
      outputTokens: calls.reduce((n, r) => n + r.outputTokens, 0),
      costUsd: cost,
      latencyMs: Math.round(totalMs * 1000) / 1000,
      overheadMs: outcome ? Math.round((totalMs - outcome.tierMs) * 1000) / 1000 : null,
    });
  }

  function writeError(res: ServerResponse, err: unknown, headers: Record<string, string>, requestId: string): void {
    const known = err instanceof ServeRequestError || err instanceof ClientAbortedError;
    if (!known) unexpected(err, requestId);
    if (err instanceof ClientAbortedError || res.destroyed) return;
    const body = err instanceof ServeRequestError ? err.toBody() : { error: { message: `Internal error: ${err instanceof Error ? err.message : String(err)}`, type: 'server_error', param: null, code: null } };
    if (res.headersSent) {
      // A stream already under way can only end with an error event.
      res.end(`data: ${JSON.stringify(body)}\n\ndata: [DONE]\n\n`);
      return;
    }
    sendJson(res, err instanceof ServeRequestError ? err.status : 500, body, headers);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: unknown) => {
    releaseGuard();
    await holder.close();
    await log?.close();
    throw listenError(err, opts.host, opts.port, opts.settingNames);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  if (opts.watch) holder.watch();
  if (bindWarning) opts.onEvent(bindWarning);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    metrics,
    reload: () => holder.reload(),
    close: () => (closing ??= (async () => {
      draining = true;
      holder.stopWatching();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inflight.size > 0) {
        const allDone = new Promise<void>((resolve) => (drained = resolve));
        const deadline = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), opts.drainTimeoutMs).unref());
        if ((await Promise.race([allDone, deadline])) === 'timeout') {
          for (const c of inflight) c.abort(new ClientAbortedError());
        }
      }
      server.closeAllConnections();
      await stopped;
      await log?.close();
      await holder.close();
      releaseGuard();
    })()),
  };
}
