import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { generate } from 'selfsigned';
import {
  DISALLOWED_HOST_MESSAGE,
  HealthModule,
  type HealthModuleOptions,
  MALFORMED_HOST_MESSAGE,
  ServerGates,
} from '../src/index.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { rawRequest, type RawResponse, rawTlsRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, answerFromApp, AppCode, createAdapter } from './support/test-app.js';

/**
 * Servers the adapter did not create (issue case 2): NestJS's documented "multiple simultaneous
 * servers" recipe (`app.init()`, then an http and an https server around the framework's handler),
 * Express's `getInstance().listen()`, Fastify's `routing` inside a server of the app's own. Their
 * requests reach the framework without a server gate: the framework gate decides them, and the first
 * one logs a warning naming the way in (once per process). `ServerGates.gate(server)` then covers
 * what only a server gate can: `Expect: 100-continue` before Node answers it.
 */

const DISALLOWED = `Bad Request: ${DISALLOWED_HOST_MESSAGE}\n`;
const WARNED = Symbol.for('upgate.warned-ungated-server');

interface OwnServers {
  readonly app: INestApplication;
  readonly appCode: AppCode;
  readonly logger: CapturingLogger;
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly servers: Server[];
}

let tls: { key: string; cert: string };
beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: 'app.example.com' }]);
  tls = { key: pems.private, cert: pems.cert };
});

/** `main.ts` of the recipe: `app.init()`, no `app.listen()`. */
async function initApp(adapter: AdapterName, options: HealthModuleOptions = {}): Promise<OwnServers> {
  const logger = new CapturingLogger();
  @Module({
    imports: [
      HealthModule.forRoot({ allowedHosts: ['app.example.com'], environment: 'production', logger, ...options }),
    ],
  })
  class AppModule {}
  const appCode = new AppCode();
  const app = await NestFactory.create(AppModule, createAdapter(adapter), { logger: false, abortOnError: false });
  answerFromApp(app, appCode);
  await app.init();
  const instance = app.getHttpAdapter().getInstance() as
    | ((req: IncomingMessage, res: ServerResponse) => void)
    | { ready(): Promise<unknown>; routing(req: IncomingMessage, res: ServerResponse): void };
  let handler: OwnServers['handler'];
  if (typeof instance === 'function') handler = instance;
  else {
    await instance.ready();
    handler = (req, res) => instance.routing(req, res);
  }
  return { app, appCode, logger, handler, servers: [] };
}

async function listen(t: OwnServers, server: Server): Promise<number> {
  t.servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function close(t: OwnServers): Promise<void> {
  for (const server of t.servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await t.app.close();
}

function outcome(res: RawResponse): { status: number; body: string } {
  return { status: res.status, body: res.body };
}

describe.each(ADAPTERS)('servers the app makes around %s', (adapter: AdapterName) => {
  let t: OwnServers;
  let httpPort: number;
  let httpsPort: number;
  beforeAll(async () => {
    delete (process as unknown as Record<symbol, unknown>)[WARNED];
    t = await initApp(adapter);
    httpPort = await listen(t, createHttpServer(t.handler));
    httpsPort = await listen(t, createHttpsServer(tls, t.handler));
  });
  afterAll(() => close(t));

  test.each([
    ['http', () => httpPort, rawRequest],
    ['https', () => httpsPort, rawTlsRequest],
  ] as const)(
    'over %s: rejected before app code, probes answered, allowed hosts reach the app',
    async (_s, port, send) => {
      const before = t.appCode.requests;
      expect(outcome(await send(port(), { target: '/', headers: [['Host', 'evil.example']] }))).toEqual({
        status: 400,
        body: DISALLOWED,
      });
      expect(outcome(await send(port(), { target: '/x', headers: [['Host', 'app.example.com:99999']] }))).toEqual({
        status: 400,
        body: `${MALFORMED_HOST_MESSAGE}\n`,
      });
      expect(t.appCode.requests).toBe(before);
      const probe = await send(port(), { target: '/up', headers: [['Host', '10.0.0.5:3000']] });
      expect(outcome(probe)).toEqual({ status: 200, body: '{"status":"ok"}' });
      expect(probe.headers['cache-control']).toBe('no-store');
      expect(t.appCode.requests).toBe(before);
      const allowed = await send(port(), { target: '/', headers: [['Host', 'App.Example.com']] });
      expect(outcome(allowed)).toEqual({ status: 200, body: 'app app.example.com' });
      expect(t.appCode.requests).toBe(before + 1);
    },
  );

  test('the first request over such a server logs one warning naming the way in and the fix', () => {
    const framework = adapter === 'express' ? 'Express' : 'Fastify';
    const warnings = t.logger.messages('warn').filter((line) => line.startsWith('a request reached'));
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^a request reached ${framework} over a connection to 127\\.0\\.0\\.1:(${httpPort}|${httpsPort}), a server upgate has not gated: .*gate it before it listens: app\\.get\\(ServerGates\\)\\.gate\\(server\\) \\(logged once per process\\)$`,
        ),
      ),
    ]);
    expect(warnings[0]).toContain("its 'Expect: 100-continue', 'upgrade' and 'connect' events are not");
  });

  test('ungated, Node answers Expect: 100-continue before any gate; ServerGates.gate() puts the gate first', async () => {
    const expectContinue = {
      method: 'POST',
      target: '/',
      headers: [
        ['Host', 'evil.example'],
        ['Expect', '100-continue'],
      ],
      body: 'x',
    } as const;
    const ungated = await rawRequest(httpPort, expectContinue);
    expect(ungated.raw.startsWith('HTTP/1.1 100 Continue\r\n')).toBe(true);

    const server = createHttpServer(t.handler);
    t.app.get(ServerGates).gate(server);
    const port = await listen(t, server);
    const gated = await rawRequest(port, expectContinue);
    expect(gated.raw).not.toContain('100 Continue');
    expect(outcome(gated)).toEqual({ status: 400, body: DISALLOWED });
    const allowed = await rawRequest(port, {
      ...expectContinue,
      headers: [
        ['Host', 'app.example.com'],
        ['Expect', '100-continue'],
      ],
    });
    expect(allowed.raw.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n')).toBe(true);
    expect(allowed.body).toBe('app app.example.com');
  });
});

test.each(ADAPTERS)(
  'on %s, the readiness and startup paths answer once a server of the app listens, gated or not (the adapter’s never does)',
  async (adapter) => {
    const healthy = () => ({ check: { status: 'up' as const } });
    const t = await initApp(adapter, {
      probes: { '/ready': [healthy], '/startup': [healthy] },
      startupPath: '/startup',
    });
    try {
      const probe = async (port: number, target: string) =>
        outcome(await rawRequest(port, { target, headers: [['Host', '10.0.0.5:3000']] }));
      const gatedServer = createHttpServer(t.handler);
      t.app.get(ServerGates).gate(gatedServer);
      const gated = await listen(t, gatedServer);
      const ungated = await listen(t, createHttpServer(t.handler));
      for (const port of [gated, ungated]) {
        expect(await probe(port, '/startup')).toEqual({ status: 200, body: '{"status":"ok"}' });
        expect(await probe(port, '/ready')).toEqual({ status: 200, body: '{"status":"ok"}' });
      }
      expect(t.app.getHttpServer().listening).toBe(false);
    } finally {
      await close(t);
    }
  },
);

test('Express getInstance().listen(): its server is covered by the framework gate, and warned about once per process', async () => {
  delete (process as unknown as Record<symbol, unknown>)[WARNED];
  const first = await initApp('express');
  const second = await initApp('express');
  try {
    for (const t of [first, second]) {
      const express = t.app.getHttpAdapter().getInstance() as { listen(port: number, host: string): Server };
      const server = express.listen(0, '127.0.0.1');
      t.servers.push(server);
      await once(server, 'listening');
      const port = (server.address() as AddressInfo).port;
      expect(outcome(await rawRequest(port, { target: '/', headers: [['Host', 'evil.example']] }))).toEqual({
        status: 400,
        body: DISALLOWED,
      });
      expect(outcome(await rawRequest(port, { target: '/up', headers: [['Host', 'c0ffee:3000']] }))).toEqual({
        status: 200,
        body: '{"status":"ok"}',
      });
      expect(t.appCode.requests).toBe(0);
    }
    const warnings = (t: OwnServers) => t.logger.messages('warn').filter((l) => l.startsWith('a request reached'));
    expect(warnings(first)).toHaveLength(1);
    expect(warnings(second)).toHaveLength(0);
  } finally {
    await close(first);
    await close(second);
  }
});

test('Fastify getInstance().listen() serves on the adapter’s own server, which the server gate covers', async () => {
  delete (process as unknown as Record<symbol, unknown>)[WARNED];
  const t = await initApp('fastify');
  try {
    const fastify = t.app.getHttpAdapter().getInstance() as { listen(options: object): Promise<string> };
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.getHttpServer().address() as AddressInfo).port;
    expect(outcome(await rawRequest(port, { target: '/', headers: [['Host', 'evil.example']] }))).toEqual({
      status: 400,
      body: DISALLOWED,
    });
    expect(t.appCode.requests).toBe(0);
    expect(t.logger.messages('warn').filter((l) => l.startsWith('a request reached'))).toEqual([]);
  } finally {
    await t.app.close();
  }
});
