// The floor for the serve benchmark: one HTTP hop in Node with nothing else (no routing, no
// SDK, no metrics), forwarding each request's body to the upstream over a keep-alive agent and
// its answer back. What it adds over calling the upstream directly is what any Node router pays
// on this machine before doing any work of its own.
//   node --import tsx bench/bare-proxy.ts UPSTREAM_BASE_URL   (prints "listening on URL")
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

const upstream = new URL(process.argv[2] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
    const forward = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, agent, headers }, (answer) => {
      const out: Buffer[] = [];
      answer.on('data', (c: Buffer) => out.push(c));
      answer.on('end', () => {
        const text = Buffer.concat(out);
        res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'application/json', 'content-length': String(text.length) }).end(text);
      });
    });
    forward.on('error', () => res.writeHead(502).end());
    forward.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`));
