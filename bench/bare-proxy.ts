// The floor for the serve benchmark: one HTTP hop in Node with nothing else (no routing, no
// SDK, no metrics), forwarding each request's body to the upstream over a keep-alive undici Pool
// (the transport serve's cloud tiers use) and its answer back. What it adds over calling the
// upstream directly is what any Node router pays on this machine before doing any work of its own.
//   node --import tsx bench/bare-proxy.ts UPSTREAM_BASE_URL   (prints "listening on URL")
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const pool = new Pool(new URL(process.argv[2] ?? '').origin, { connections: 256, keepAliveTimeout: 30_000 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    pool
      .request({ path: req.url ?? '/', method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
      .then(async (answer) => {
        const text = Buffer.from(await answer.body.arrayBuffer());
        res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'application/json'), 'content-length': String(text.length) }).end(text);
      })
      .catch(() => res.writeHead(502).end());
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`));
