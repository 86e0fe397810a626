// The baseline: a bare node:http server answering GET /up with the very bytes the HealthModule
// sends (same status, headers and body), everything else 404. Prints "listening <port>".
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import './answer-bench.js';

const body = Buffer.from('{"status":"ok"}');
const headers = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Length': String(body.length),
};

const server = createServer((req, res) => {
  if (req.url === '/up' && (req.method === 'GET' || req.method === 'HEAD')) {
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  res.writeHead(404, { 'Content-Length': '0' });
  res.end();
});
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
