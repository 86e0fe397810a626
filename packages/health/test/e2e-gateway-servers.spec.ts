import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type INestApplication, Module, type Type } from '@nestjs/common';
import { ApplicationConfig, NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { AbstractWsAdapter, type OnGatewayConnection, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { DISALLOWED_HOST_MESSAGE, getCheckedHost, HealthModule, MALFORMED_HOST_MESSAGE } from '../src/index.js';
import { rawRequest, websocketUpgrade } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, answerFromApp, AppCode, createAdapter, initFailure } from './support/test-app.js';

/**
 * WebSocket gateways on a port of their own (issue case 1): `@WebSocketGateway(port)` with
 * `@nestjs/platform-ws` (a server of ws's own, and one shared by path through the adapter's
 * registry) and with `@nestjs/platform-socket.io` (its WebSocket transport and its HTTP long-polling
 * requests). The adapters create those servers while NestJS registers the gateways, before any
 * lifecycle hook; each is gated as it is created. A rejected request gets the gate's 400 and the
 * gateway's `handleConnection` never runs; where a gateway's server cannot be reached, the app does
 * not start.
 */

const DISALLOWED = `Bad Request: ${DISALLOWED_HOST_MESSAGE}\n`;

/** A port free a moment ago: the decorator needs a number when the gateway class is defined. */
async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** What the gateways' own code saw. */
class GatewayCode {
  readonly connections: (string | undefined)[] = [];
}

function gatewayOn(port: number, options: object, seen: GatewayCode): Type {
  @WebSocketGateway(port, options)
  class OwnPortGateway implements OnGatewayConnection {
    handleConnection(_client: unknown, request?: IncomingMessage): void {
      // ws passes the upgrade request; socket.io the handshake on the client.
      const req = request ?? (_client as { request?: IncomingMessage }).request;
      seen.connections.push(req === undefined ? undefined : getCheckedHost(req));
    }

    @SubscribeMessage('ping')
    ping(): { event: string; data: string } {
      return { event: 'pong', data: 'ok' };
    }
  }
  return OwnPortGateway;
}

interface GatewayApp {
  readonly app: INestApplication;
  readonly appCode: AppCode;
}

async function startWith(
  adapter: AdapterName,
  gateways: Type[],
  wsAdapter: (app: INestApplication) => unknown,
): Promise<GatewayApp> {
  @Module({
    imports: [HealthModule.forRoot({ allowedHosts: ['app.example.com'], environment: 'production' })],
    providers: gateways,
  })
  class AppModule {}
  const appCode = new AppCode();
  const app = await NestFactory.create(AppModule, createAdapter(adapter), { logger: false, abortOnError: false });
  app.useWebSocketAdapter(wsAdapter(app) as never);
  answerFromApp(app, appCode);
  await app.listen(0, '127.0.0.1');
  return { app, appCode };
}

function expectRawRejection(raw: string, body: string): void {
  expect(raw).toBe(
    'HTTP/1.1 400 Bad Request\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${body.length}\r\n` +
      'Cache-Control: no-store\r\n' +
      'Connection: close\r\n' +
      '\r\n' +
      body,
  );
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe.each(ADAPTERS)('gateways on their own ports, the app on %s', (adapter: AdapterName) => {
  describe('@nestjs/platform-ws', () => {
    const seen = new GatewayCode();
    let own: number;
    let shared: number;
    let t: GatewayApp;
    beforeAll(async () => {
      own = await freePort();
      shared = await freePort();
      // No path: ws listens on a server of its own. A path: the adapter's server for that port.
      t = await startWith(
        adapter,
        [gatewayOn(own, {}, seen), gatewayOn(shared, { path: '/events' }, seen)],
        (app) => new WsAdapter(app),
      );
    });
    afterAll(() => t.app.close());

    test.each([
      ['its own ws server', () => own, '/'],
      ['the adapter’s server for its port and path', () => shared, '/events'],
    ])('on %s: a disallowed upgrade gets the raw 400, handleConnection never runs', async (_on, port, path) => {
      expectRawRejection((await rawRequest(port(), websocketUpgrade('evil.example', path))).raw, DISALLOWED);
      expectRawRejection(
        (await rawRequest(port(), websocketUpgrade('app.example.com/x', path))).raw,
        `${MALFORMED_HOST_MESSAGE}\n`,
      );
      // A plain request on that server is decided too.
      const plain = await rawRequest(port(), { target: path, headers: [['Host', 'evil.example']] });
      expect({ status: plain.status, body: plain.body }).toEqual({ status: 400, body: DISALLOWED });
      expect(seen.connections).toEqual([]);
      expect(t.appCode.requests).toBe(0);
    });

    test.each([
      ['its own ws server', () => own, '/'],
      ['the adapter’s server for its port and path', () => shared, '/events'],
    ])('on %s: an allowed host connects and the gateway sees its checked host', async (_on, port, path) => {
      seen.connections.length = 0;
      const client = new WebSocket(`ws://127.0.0.1:${port()}${path}`, { headers: { Host: 'APP.example.com' } });
      const reply = await new Promise<string>((resolve, reject) => {
        client.on('open', () => client.send(JSON.stringify({ event: 'ping', data: null })));
        client.on('message', (data) => resolve(String(data)));
        client.on('error', reject);
      });
      client.close();
      expect(JSON.parse(reply)).toEqual({ event: 'pong', data: 'ok' });
      expect(seen.connections).toEqual(['app.example.com']);
    });
  });

  describe('@nestjs/platform-socket.io', () => {
    const seen = new GatewayCode();
    let port: number;
    let t: GatewayApp;
    beforeAll(async () => {
      port = await freePort();
      t = await startWith(adapter, [gatewayOn(port, {}, seen)], (app) => new IoAdapter(app));
    });
    afterAll(() => t.app.close());
    beforeEach(() => {
      seen.connections.length = 0;
    });

    test('HTTP long-polling: a disallowed handshake gets the 400, an allowed one connects', async () => {
      const handshake = (host: string) =>
        rawRequest(port, { target: '/socket.io/?EIO=4&transport=polling', headers: [['Host', host]] });
      const rejected = await handshake('evil.example');
      expect({ status: rejected.status, body: rejected.body }).toEqual({ status: 400, body: DISALLOWED });
      const rejectedConnect = await rawRequest(port, {
        method: 'POST',
        target: '/socket.io/?EIO=4&transport=polling&sid=x',
        headers: [
          ['Host', 'evil.example'],
          ['Content-Type', 'text/plain;charset=UTF-8'],
        ],
        body: '40',
      });
      expect(rejectedConnect.status).toBe(400);
      expect(seen.connections).toEqual([]);

      const opened = await handshake('app.example.com');
      expect(opened.status).toBe(200);
      const sid = (JSON.parse(opened.body.slice(1)) as { sid: string }).sid;
      const connect = await rawRequest(port, {
        method: 'POST',
        target: `/socket.io/?EIO=4&transport=polling&sid=${sid}`,
        headers: [
          ['Host', 'app.example.com'],
          ['Content-Type', 'text/plain;charset=UTF-8'],
        ],
        body: '40',
      });
      expect({ status: connect.status, body: connect.body }).toEqual({ status: 200, body: 'ok' });
      await waitFor(() => seen.connections.length === 1, 'handleConnection');
      expect(seen.connections).toEqual(['app.example.com']);
      expect(t.appCode.requests).toBe(0);
    });

    test('WebSocket transport: a disallowed upgrade gets the raw 400, an allowed client connects', async () => {
      expectRawRejection(
        (await rawRequest(port, websocketUpgrade('evil.example', '/socket.io/?EIO=4&transport=websocket'))).raw,
        DISALLOWED,
      );
      expect(seen.connections).toEqual([]);
      const client = io(`http://127.0.0.1:${port}`, {
        transports: ['websocket'],
        extraHeaders: { Host: 'app.example.com' },
        reconnection: false,
      });
      try {
        // The gateway answers { event, data }: socket.io emits it back as that event.
        const pong = await new Promise<unknown>((resolve, reject) => {
          client.on('connect_error', reject);
          client.on('pong', resolve);
          client.on('connect', () => client.emit('ping', null));
        });
        expect(pong).toBe('ok');
      } finally {
        client.close();
      }
      expect(seen.connections).toEqual(['app.example.com']);
      expect(t.appCode.requests).toBe(0);
    });
  });

  describe('@nestjs/platform-socket.io on the app’s own port', () => {
    const seen = new GatewayCode();
    let t: GatewayApp;
    let port: number;
    beforeAll(async () => {
      t = await startWith(adapter, [gatewayOn(0, {}, seen)], (app) => new IoAdapter(app));
      port = (t.app.getHttpServer().address() as AddressInfo).port;
    });
    afterAll(() => t.app.close());

    test('socket.io takes its requests before the framework: the server gate decides them', async () => {
      const rejected = await rawRequest(port, {
        target: '/socket.io/?EIO=4&transport=polling',
        headers: [['Host', 'evil.example']],
      });
      expect({ status: rejected.status, body: rejected.body }).toEqual({ status: 400, body: DISALLOWED });
      const opened = await rawRequest(port, {
        target: '/socket.io/?EIO=4&transport=polling',
        headers: [['Host', 'app.example.com']],
      });
      expect(opened.status).toBe(200);
      expect(opened.body).toMatch(/^0\{"sid":/);
      expect(seen.connections).toEqual([]);
      expect(t.appCode.requests).toBe(0);
    });
  });
});

test('a gateway whose server its adapter keeps out of reach stops the start, named', async () => {
  /** An adapter of the app's own that hides the server it made in a closure. */
  class HidingAdapter extends AbstractWsAdapter {
    create(): unknown {
      return { hidden: true };
    }
    bindMessageHandlers(): void {
      throw new Error('never reached: the start fails first');
    }
  }
  const port = await freePort();
  @Module({
    imports: [HealthModule.forRoot({ allowedHosts: ['app.example.com'], environment: 'production' })],
    providers: [gatewayOn(port, {}, new GatewayCode())],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, createAdapter('express'), { logger: false, abortOnError: false });
  app.useWebSocketAdapter(new HidingAdapter(app));
  const failure = await initFailure(app);
  expect((failure as Error | undefined)?.message).toBe(
    `upgate: cannot reach the HTTP server that HidingAdapter created for the WebSocket gateway OwnPortGateway on port ${port}, so its requests could not be host-checked; serve the gateway on the app's port (@WebSocketGateway() without a port), or use @nestjs/platform-ws or @nestjs/platform-socket.io, whose servers upgate knows how to reach`,
  );
});

test('a gateway server made by an adapter that was not set through useWebSocketAdapter() stops the start, named', async () => {
  const port = await freePort();
  @Module({
    imports: [HealthModule.forRoot({ allowedHosts: ['app.example.com'], environment: 'production' })],
    providers: [gatewayOn(port, {}, new GatewayCode())],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, createAdapter('express'), { logger: false, abortOnError: false });
  // Put where NestJS keeps it, behind setIoAdapter(): its create() is never watched.
  Object.assign(app.get(ApplicationConfig), { ioAdapter: new WsAdapter(app) });
  const failure = await initFailure(app);
  expect((failure as Error | undefined)?.message).toBe(
    `upgate: the WebSocket gateway server of OwnPortGateway (port ${port}) was not created through the app's WebSocket adapter's create(), where upgate gates it, so its requests would skip the host check; set the adapter with app.useWebSocketAdapter() before app.init(), or serve the gateway on the app's port (@WebSocketGateway() without a port)`,
  );
  // The server it made was closed with the app: the port is free again.
  const again = createServer().listen(port, '127.0.0.1');
  await once(again, 'listening');
  await new Promise((resolve) => again.close(resolve));
});
