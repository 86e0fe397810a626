// The app of the framework gate's benchmark (framework-gate.bench.js). Arguments: the adapter
// ('express' | 'fastify') and the mode:
// - 'with' / 'without': serves on 127.0.0.1 with the HealthModule and its server gate, with or
//   without the framework gate, and prints "listening <port>"; asked 'cpu' over the IPC channel, it
//   answers its process.cpuUsage() (microseconds, off the request path);
// - 'direct': builds both apps in this process and calls the framework's handler itself (as a
//   serverless handler does) with requests marked as the server gate leaves them, alternating the
//   two, and prints one JSON line of CPU microseconds per request: no sockets, no kernel, no load
//   generator in the figures.
// 'without' takes the framework gate out after app.init(), before the framework is ready (Fastify
// fixes its routes' hooks then), so that the two differ by it alone. GET /hello is an ordinary route.
import { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { setCheckedHost } from '../../src/gate/checked-host.js';
import { FrameworkGate } from '../../src/gate/framework-gate.js';
import { HealthModule } from '../../src/index.js';

const [adapter = 'express', mode = 'with'] = process.argv.slice(2);
const ROUNDS = Number(process.env['GATE_BENCH_ROUNDS'] ?? 7);
const CALLS = Number(process.env['GATE_BENCH_CALLS'] ?? 50_000);

@Controller()
class HelloController {
  @Get('hello')
  hello(): string {
    return 'hello';
  }
}

@Module({
  imports: [HealthModule.forRoot({ allowedHosts: ['127.0.0.1'], probePaths: ['/up'] })],
  controllers: [HelloController],
})
class GateBenchModule {}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function createApp(withGate: boolean) {
  const app = await NestFactory.create(
    GateBenchModule,
    adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(),
    { logger: false },
  );
  await app.init();
  if (!withGate) app.get(FrameworkGate).onApplicationShutdown();
  return app;
}

/** One GET /hello through `handler`, marked as decided by a server gate; resolves when answered. */
function call(handler: Handler): Promise<void> {
  const req = new IncomingMessage({ remoteAddress: '127.0.0.1', destroy: () => undefined } as unknown as Socket);
  req.method = 'GET';
  req.url = '/hello';
  req.headers = { host: '127.0.0.1' };
  req.rawHeaders = ['Host', '127.0.0.1'];
  req.push(null);
  setCheckedHost(req, '127.0.0.1');
  const res = new ServerResponse(req);
  const sink = new PassThrough();
  sink.resume();
  res.assignSocket(sink as unknown as Socket);
  return new Promise((resolve) => {
    res.once('finish', () => resolve());
    handler(req, res);
  });
}

async function direct(): Promise<void> {
  const handlers: Record<'with' | 'without', Handler> = { with: () => undefined, without: () => undefined };
  for (const variant of ['with', 'without'] as const) {
    const app = await createApp(variant === 'with');
    const instance = app.getHttpAdapter().getInstance() as Handler | { ready(): Promise<unknown>; routing: Handler };
    if (typeof instance === 'function') handlers[variant] = instance;
    else {
      await instance.ready();
      handlers[variant] = (req, res) => instance.routing(req, res);
    }
  }
  const samples: Record<'with' | 'without', number[]> = { with: [], without: [] };
  const measure = async (variant: 'with' | 'without', calls: number): Promise<number> => {
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i++) await call(handlers[variant]);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / calls;
  };
  for (const variant of ['with', 'without'] as const) await measure(variant, CALLS);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const);
    for (const variant of order) samples[variant].push(await measure(variant, CALLS));
  }
  process.stdout.write(`${JSON.stringify(samples)}\n`);
  process.exit(0);
}

if (mode === 'direct') await direct();
else if (mode === 'with' || mode === 'without') {
  const app = await createApp(mode === 'with');
  await app.listen(0, '127.0.0.1');
  const address = (app.getHttpServer() as { address(): AddressInfo }).address();
  process.stdout.write(`listening ${address.port}\n`);
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.(process.cpuUsage());
  });
} else throw new Error(`unknown mode ${mode}; use 'with', 'without' or 'direct'`);
