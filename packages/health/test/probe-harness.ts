import { request as httpRequest, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BeforeApplicationShutdown,
  Controller,
  type DynamicModule,
  Get,
  Inject,
  Injectable,
  type INestApplication,
  Module,
  type Provider,
  Query,
  Res,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { HealthModule } from '../src/index.js';
import type { ProbeOptions } from '../src/probe/index.js';

export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: AdapterName[] = ['express', 'fastify'];

/** The app's own routes, beside the probes: a slow one to be in flight during a shutdown. */
@Controller()
class DemoController {
  @Get('slow')
  async slow(@Query('ms') ms: string): Promise<string> {
    await sleep(Number(ms));
    return 'slow done';
  }

  @Get('hello')
  hello(): string {
    return 'hello';
  }

  /** Headers and half the body at once, the rest after `ms`: a response whose headers are out. */
  @Get('stream')
  stream(@Query('ms') ms: string, @Res() reply: { raw?: ServerResponse; hijack?: () => void } & ServerResponse): void {
    reply.hijack?.();
    const res = reply.raw ?? reply;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '10' });
    res.write('01234');
    setTimeout(() => res.end('56789'), Number(ms));
  }
}

export interface AppCase extends ProbeOptions {
  probePaths?: string[];
  /** A provider of the app that takes this long to release its resources at shutdown. */
  releaseMs?: number;
  /** More providers of the app's root module. */
  providers?: Provider[];
  /** Serve HTTPS with this certificate and key (PEM) instead of plain HTTP. */
  tls?: { cert: string; key: string };
}

const RELEASE_MS = Symbol('release-ms');

@Injectable()
class SlowResource implements BeforeApplicationShutdown {
  constructor(@Inject(RELEASE_MS) private readonly ms: number) {}
  async beforeApplicationShutdown(): Promise<void> {
    if (this.ms > 0) await sleep(this.ms);
  }
}

function healthModule(options: AppCase): DynamicModule {
  const { probePaths = ['/up'], ...probeOptions } = options;
  // The probes answer whatever the Host; the app's own routes are reached as 127.0.0.1 or localhost.
  return HealthModule.forRoot({ allowedHosts: ['127.0.0.1', 'localhost'], probePaths, ...probeOptions });
}

export interface RunningApp {
  app: INestApplication;
  port: number;
  server: Server;
}

/** A NestJS app with the health module, created but neither initialised nor listening. */
export async function createApp(adapter: AdapterName, options: AppCase = {}): Promise<INestApplication> {
  @Module({})
  class AppModule {}
  const { releaseMs = 0, providers = [], tls, ...healthOptions } = options;
  const root: DynamicModule = {
    module: AppModule,
    imports: [healthModule(healthOptions)],
    controllers: [DemoController],
    providers: [{ provide: RELEASE_MS, useValue: releaseMs }, SlowResource, ...providers],
  };
  return adapter === 'express'
    ? NestFactory.create(root, new ExpressAdapter(), { logger: false, ...(tls ? { httpsOptions: tls } : {}) })
    : NestFactory.create(root, new FastifyAdapter(tls ? { https: tls } : {}), { logger: false });
}

/** A NestJS app with the health module, listening on a free port of 127.0.0.1. */
export async function startApp(adapter: AdapterName, options: AppCase = {}): Promise<RunningApp> {
  return listen(await createApp(adapter, options));
}

/** `app.listen()` on a free port of 127.0.0.1. */
export async function listen(app: INestApplication): Promise<RunningApp> {
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the app is not listening on a TCP port');
  return { app, port: address.port, server };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Milliseconds from sending the request to the end of the response. */
  ms: number;
}

/** One request on its own connection (no keep-alive). */
export function get(port: number, path: string, method = 'GET'): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw keep-alive connection, to see exactly what the server says about the connection. */
export class RawConnection {
  private buffer = '';
  private closed = false;
  private readonly waiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** A connection over a socket of the test's own (one end of a pair handed to a server). */
  static over(socket: Socket): RawConnection {
    return new RawConnection(socket);
  }

  /** One request; `headers` are whole header lines after Host (`User-Agent: kamal-proxy`). */
  send(path: string, method = 'GET', host = 'localhost', headers: readonly string[] = []): void {
    const lines = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, ...headers];
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  }

  /** The next response on the connection (status line, headers, Content-Length body). */
  async response(): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end !== -1) {
        const [statusLine, ...lines] = this.buffer.slice(0, end).split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.slice(end + 4, end + 4 + length);
          this.buffer = this.buffer.slice(end + 4 + length);
          return { status: Number(statusLine?.split(' ')[1]), headers, body };
        }
      }
      if (this.closed)
        throw new Error(`the connection closed before a whole response; received: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Resolves once the server has sent something (a response has begun). */
  async firstBytes(): Promise<void> {
    while (this.buffer.length === 0 && !this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once the server has closed the connection. */
  async closedByServer(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
