// The in-process half of the benchmark (bench/sections/decisions.js runs it, pinned to the server's
// core): what the gates cost per decision, beside what the framework costs per request, with no
// socket, kernel or load generator in the figures. Prints one JSON line of per-round samples.
// - The server gate, per event, on requests parsed by node's own HTTP parser from raw bytes: an
//   allowed exact host, an allowed wildcard subdomain, a rejected host, a probe with a container-id
//   Host; and the same `emit` on a server without the gate (what an allowed request costs without it).
// - The framework, per request: the Express app's / Fastify's handler called as a serverless handler
//   calls it, GET /hello on a controller, on an app without the HealthModule and on one with it
//   (requests marked as the server gate leaves them, so the framework gate only reads the mark).
// Within a round the variants take turns in short blocks; each sample is CPU time (process.cpuUsage)
// divided by the calls of its round.
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { Controller, type DynamicModule, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { setCheckedHost } from '../../src/gate/checked-host.js';
import { HostGate } from '../../src/gate/host-gate.js';
import type { NodeResponse } from '../../src/gate/node-request.js';
import { HealthModule } from '../../src/index.js';
import { gateServer } from '../../src/server/server-gate.js';

const ROUNDS = Number(process.env['BENCH_DECISION_ROUNDS'] ?? 11);

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

@Controller()
class HelloController {
  @Get('hello')
  hello(): string {
    return 'hello';
  }
}

const OPTIONS = { allowedHosts: ['app.example.com', '.example.net'], probePaths: ['/up'], environment: 'production' };

function rootModule(withModule: boolean): DynamicModule {
  @Module({})
  class DecisionsBenchModule {}
  return {
    module: DecisionsBenchModule,
    imports: withModule ? [HealthModule.forRoot(OPTIONS)] : [],
    controllers: [HelloController],
  };
}

async function createApp(adapter: string, withModule: boolean): Promise<INestApplication> {
  const app = await NestFactory.create(
    rootModule(withModule),
    adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(),
    { logger: false },
  );
  await app.init();
  return app;
}

async function handlerOf(app: INestApplication): Promise<Handler> {
  const instance = app.getHttpAdapter().getInstance() as Handler | { ready(): Promise<unknown>; routing: Handler };
  if (typeof instance === 'function') return instance;
  await instance.ready();
  return (req, res) => instance.routing(req, res);
}

/** One GET /hello through `handler`, marked as a server gate leaves it; resolves when answered. */
function call(handler: Handler): Promise<void> {
  const req = new IncomingMessage({ remoteAddress: '127.0.0.1', destroy: () => undefined } as unknown as Socket);
  req.method = 'GET';
  req.url = '/hello';
  req.headers = { host: 'app.example.com' };
  req.rawHeaders = ['Host', 'app.example.com'];
  req.push(null);
  setCheckedHost(req, 'app.example.com');
  const res = new ServerResponse(req);
  const sink = new PassThrough();
  sink.resume();
  res.assignSocket(sink as unknown as Socket);
  return new Promise((resolve) => {
    res.once('finish', () => resolve());
    handler(req, res);
  });
}

/** Requests as node's parser makes them from these raw heads, each over a connection of its own. */
async function parsedRequests(heads: Record<string, string>): Promise<Record<string, IncomingMessage>> {
  const parsed: Record<string, IncomingMessage> = {};
  const server = new Server();
  const sockets: Socket[] = [];
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  for (const [name, head] of Object.entries(heads)) {
    parsed[name] = await new Promise<IncomingMessage>((resolve) => {
      server.once('request', (req: IncomingMessage) => resolve(req));
      const socket = connect(port, '127.0.0.1', () => socket.write(head));
      sockets.push(socket);
    });
  }
  for (const socket of sockets) socket.destroy();
  server.close();
  return parsed;
}

/** A response that takes what a gate writes and drops it, so that one request can be decided again and again. */
const drop = (): undefined => undefined;
const droppingResponse = {
  headersSent: false,
  writableEnded: false,
  writeHead: drop,
  setHeader: drop,
  end: drop,
  destroy: drop,
} as unknown as NodeResponse;

/** CPU nanoseconds used so far by this process. */
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

/**
 * One round: the variants take turns in blocks of `blockCalls` calls (the order rotating block by
 * block), `blocks` blocks each, so that a collection or a neighbour's burst falls on all of them
 * alike; returns each variant's CPU nanoseconds per call over the round.
 */
function interleaved(variants: Record<string, () => void>, blockCalls: number, blocks: number): Record<string, number> {
  const names = Object.keys(variants);
  const spent: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
  for (let block = 0; block < blocks; block++) {
    for (let turn = 0; turn < names.length; turn++) {
      const name = names[(block + turn) % names.length] as string;
      const work = variants[name] as () => void;
      const before = cpuNow();
      for (let i = 0; i < blockCalls; i++) work();
      spent[name] = (spent[name] ?? 0) + cpuNow() - before;
    }
  }
  return Object.fromEntries(names.map((name) => [name, (spent[name] ?? 0) / (blockCalls * blocks)]));
}

/** `interleaved` for work that resolves when done (a request through a framework). */
async function interleavedAsync(
  variants: Record<string, () => Promise<void>>,
  blockCalls: number,
  blocks: number,
): Promise<Record<string, number>> {
  const names = Object.keys(variants);
  const spent: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
  for (let block = 0; block < blocks; block++) {
    for (let turn = 0; turn < names.length; turn++) {
      const name = names[(block + turn) % names.length] as string;
      const work = variants[name] as () => Promise<void>;
      const before = cpuNow();
      for (let i = 0; i < blockCalls; i++) await work();
      spent[name] = (spent[name] ?? 0) + cpuNow() - before;
    }
  }
  return Object.fromEntries(names.map((name) => [name, (spent[name] ?? 0) / (blockCalls * blocks)]));
}

/** Rounds of `measure`, each variant's per-round figures in a list of its own. */
async function rounds(
  measure: () => Record<string, number> | Promise<Record<string, number>>,
): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = {};
  await measure(); // warm-up: the code optimised, the heap grown
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, value] of Object.entries(await measure())) (samples[name] ??= []).push(value);
  }
  return samples;
}

// ---- the server gate's decisions ---------------------------------------------------------------
const gateApp = await createApp('express', true);
const gate = gateApp.get(HostGate);
const gated = new Server();
gateServer(gated, gate);
const ungated = new Server();
const appListener = (): void => undefined;
gated.on('request', appListener);
ungated.on('request', appListener);

const requests = await parsedRequests({
  exact: 'GET /orders?page=2 HTTP/1.1\r\nHost: app.example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n',
  wildcard: 'GET /orders?page=2 HTTP/1.1\r\nHost: shop.eu.example.net\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n',
  rejected: 'GET /orders?page=2 HTTP/1.1\r\nHost: evil.example\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n',
  probe: 'GET /up HTTP/1.1\r\nHost: 7c7168a662c1:3000\r\nUser-Agent: kamal-proxy\r\nAccept: */*\r\n\r\n',
});
const decisions: Record<string, () => void> = {
  'allowed exact host': () => void gated.emit('request', requests['exact'], droppingResponse),
  'allowed wildcard subdomain': () => void gated.emit('request', requests['wildcard'], droppingResponse),
  'rejected host (400)': () => void gated.emit('request', requests['rejected'], droppingResponse),
  'probe, container-id Host': () => void gated.emit('request', requests['probe'], droppingResponse),
  'no gate (allowed exact host)': () => void ungated.emit('request', requests['exact'], droppingResponse),
};
// About 4 ms of CPU a block for the cheapest decision: calls per block sized by the dearest.
const decisionSamples = await rounds(() => interleaved(decisions, 2_000, 20));
await gateApp.close();

// ---- the framework's own cost per request, without and with the module ------------------------
const frameworkSamples: Record<string, Record<string, number[]>> = {};
for (const adapter of ['express', 'fastify']) {
  const apps = { without: await createApp(adapter, false), with: await createApp(adapter, true) };
  const handlers = { without: await handlerOf(apps.without), with: await handlerOf(apps.with) };
  const samples = await rounds(() =>
    interleavedAsync({ without: () => call(handlers.without), with: () => call(handlers.with) }, 50, 40),
  );
  frameworkSamples[adapter] = samples;
  await apps.without.close();
  await apps.with.close();
}

process.stdout.write(`${JSON.stringify({ decisions: decisionSamples, framework: frameworkSamples })}\n`);
process.exit(0);
