import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cancellation } from '../../../core/cancellation.js';
import { EndpointResponseError, EndpointStatusError, EndpointUnreachableError } from '../../../core/errors.js';
import { LearnedQeBackend } from '../../../core/qe/backend.js';
import { labelledAnswers } from '../../../core/qe/dataset.js';
import type { QeInput } from '../../../core/qe/features.js';
import { trainQe } from '../../../core/qe/model.js';
import { buildWorkload } from '../../../core/workload.js';
import { yesProbability } from '../../../native-models/qe/llm-judge.js';
import { RemoteQe } from '../../../native-models/qe/remote.js';
import { loadSharedFormat } from '../../../native-models/runlog/shared-format.js';

// A real classifier endpoint on 127.0.0.1: it serves the learned QE (trained here on a slice of the
// shared data) over the remote back end's JSON protocol, and can be told to misbehave.
let server: Server;
let url: string;
let local: LearnedQeBackend;
let inputs: QeInput[];
let mode: 'ok' | 'status' | 'count' | 'junk' | 'hang' = 'ok';

beforeAll(async () => {
  const w = buildWorkload(await loadSharedFormat('../shared/data/zeroeval-gsm8k-crux'));
  const clusterOf = Int32Array.from(w.tasks, (t) => (t === 'gsm8k' ? 0 : 1));
  const rows = (from: number) => Array.from({ length: 60 }, (_, i) => from + i * 17);
  local = new LearnedQeBackend(trainQe(labelledAnswers(w, rows(0), clusterOf), labelledAnswers(w, rows(5), clusterOf), w.models, 2, { l2Grid: [1e-2] }));
  inputs = labelledAnswers(w, rows(9), clusterOf).slice(0, 150).map((a) => a.input);
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      void (async () => {
        if (mode === 'hang') return;
        if (mode === 'status') return res.writeHead(503).end('busy');
        if (mode === 'junk') return res.writeHead(200, { 'content-type': 'application/json' }).end('not json');
        const { inputs: batch } = JSON.parse(body) as { inputs: QeInput[] };
        const scores = await local.score(batch);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ scores: mode === 'count' ? scores.slice(1) : scores }));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/qe`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('remote QE back end', () => {
  it('scores in batches and returns exactly what the endpoint computed, in order', async () => {
    mode = 'ok';
    const remote = new RemoteQe(url, { batchSize: 64 });
    const got = await remote.score(inputs);
    expect(got).toEqual(await local.score(inputs));
    expect(new Set(got).size).toBeGreaterThan(3);
  });

  it('names the endpoint and the failure', async () => {
    const remote = new RemoteQe(url);
    mode = 'status';
    await expect(remote.score(inputs.slice(0, 2))).rejects.toThrow(EndpointStatusError);
    await expect(remote.score(inputs.slice(0, 2))).rejects.toThrow(/HTTP 503: busy/);
    mode = 'count';
    await expect(remote.score(inputs.slice(0, 3))).rejects.toThrow(new EndpointResponseError('the QE endpoint returned 2 scores for 3 answers', url));
    mode = 'junk';
    await expect(remote.score(inputs.slice(0, 1))).rejects.toThrow(/did not answer JSON/);
    const closed = new RemoteQe('http://127.0.0.1:9/qe', { timeoutMs: 2000 });
    await expect(closed.score(inputs.slice(0, 1))).rejects.toThrow(EndpointUnreachableError);
    expect(() => new RemoteQe('not a url')).toThrow(/not a URL/);
  });

  it('stops waiting when the caller cancels (any AbortSignalLike) or its own timeout passes', async () => {
    mode = 'hang';
    const remote = new RemoteQe(url, { timeoutMs: 60_000 });
    const cancel = new Cancellation();
    const pending = remote.score(inputs.slice(0, 1), { signal: cancel });
    setTimeout(() => cancel.abort(new Error('the client left')), 50);
    await expect(pending).rejects.toThrow(/cannot reach the QE endpoint \(the client left\)/);
    await expect(new RemoteQe(url, { timeoutMs: 100 }).score(inputs.slice(0, 1))).rejects.toThrow(/no answer within 100 ms/);
    mode = 'ok';
  });
});

describe('LLM judge yes-probability', () => {
  it('reads the first token: p for yes, 1 - p for no, 0.5 for neither', () => {
    expect(yesProbability(' Yes', Math.log(0.8))).toBeCloseTo(0.8, 12);
    expect(yesProbability('no', Math.log(0.9))).toBeCloseTo(0.1, 12);
    expect(yesProbability('maybe', Math.log(0.9))).toBe(0.5);
    expect(yesProbability('yes', undefined)).toBe(1);
  });
});
