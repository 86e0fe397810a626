import { once } from 'node:events';
import type { Server } from 'node:http';
import { Http2ServerResponse } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { jest } from '@jest/globals';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { generate } from 'selfsigned';
import type { OnShutdownBegin } from '../src/index.js';
import { ADAPTERS, type RunningApp, RawConnection, get, startApp } from './probe-harness.js';
import { h2Request } from './support/h2-client.js';
import { startApp as startTestApp } from './support/test-app.js';

/** A container id and port as kamal-proxy puts them in Host. */
const KAMAL_TARGET = '7c7168a662c1:3000';

/** What happened when, in an app's shutdown, as its providers saw it. */
const events: { what: string; at: number }[] = [];

@Injectable()
class WatchesShutdown implements OnShutdownBegin, OnModuleDestroy {
  static hookMs = 0;
  async onShutdownBegin(): Promise<void> {
    events.push({ what: 'onShutdownBegin', at: performance.now() });
    await sleep(WatchesShutdown.hookMs);
    events.push({ what: 'onShutdownBegin done', at: performance.now() });
  }
  onModuleDestroy(): void {
    events.push({ what: 'onModuleDestroy', at: performance.now() });
  }
}

@Injectable()
class FailsAtShutdown implements OnShutdownBegin {
  onShutdownBegin(): void {
    throw new Error('queue consumer already gone');
  }
}

/** Resolves with the error code of a new TCP connection to the port, or 'connected'. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

/** Resolves once the server holds `count` connections (accepted by the app, not only by the kernel). */
async function accepted(server: Server, count: number): Promise<void> {
  const held = (): Promise<number> =>
    new Promise((resolve, reject) => server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
  while ((await held()) < count) await sleep(5);
}

/**
 * Resolves with how long `app.close()` took, or 'still open' when it had not finished after
 * `deadlineMs`: a connection the drain does not close holds it indefinitely (server.close() stops
 * Node's headers-timeout check), so any deadline tells the two apart.
 */
function closeWithin(close: () => Promise<void>, deadlineMs: number): Promise<number | 'still open'> {
  const began = performance.now();
  return Promise.race([
    close().then(() => performance.now() - began),
    sleep(deadlineMs, 'still open' as const, { ref: false }),
  ]);
}

/** A connection that never sends a byte, as Go's transport and load balancers leave them open. */
function silentConnection(port: number, opened: Socket[]): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  opened.push(socket);
  socket.on('error', () => undefined);
  return once(socket, 'connect').then(() => socket);
}

/** Resolves once the other end has closed `socket`. */
function closedByServer(socket: Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : once(socket, 'close').then(() => undefined);
}

describe.each(ADAPTERS)('probes and connections during shutdown on %s', (adapter) => {
  let running: RunningApp | undefined;
  const connections: RawConnection[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.destroy();
    for (const socket of sockets.splice(0)) socket.destroy();
    await running?.app.close();
    running = undefined;
  });

  async function connection(port: number): Promise<RawConnection> {
    const opened = await RawConnection.open(port);
    connections.push(opened);
    return opened;
  }

  it('answers probes 503 at once while the app keeps serving for shutdownDelayMs, then finishes in-flight requests and closes', async () => {
    const delay = 400;
    running = await startApp(adapter, { shutdownDelayMs: delay });
    const { app, port } = running;
    const idle = await connection(port);
    idle.send('/hello');
    expect((await idle.response()).headers['connection']).toBe('keep-alive');
    const busy = await connection(port);
    busy.send(`/slow?ms=${delay + 200}`);
    const slowReply = busy.response();
    await sleep(50);

    const closeStarted = performance.now();
    const closed = app.close().then(() => performance.now());
    await sleep(20);
    const probe = await get(port, '/up');
    expect(probe.status).toBe(503);
    expect(probe.body).toBe('{"status":"shutting_down"}');
    expect(probe.headers['cache-control']).toBe('no-store');
    expect(probe.headers['connection']).toBe('close');
    const hello = await get(port, '/hello');
    expect(hello.status).toBe(200);
    expect(hello.body).toBe('hello');

    const slow = await slowReply;
    const slowEnded = performance.now();
    expect(slow.status).toBe(200);
    expect(slow.body).toBe('slow done');
    expect(slow.headers['connection']).toBe('close');
    await Promise.all([busy.closedByServer(), idle.closedByServer()]);
    const closedAt = await closed;
    expect(closedAt - closeStarted).toBeGreaterThanOrEqual(delay);
    // Not held open by the keep-alive connection until its idle timeout (5 s Express, 72 s Fastify).
    expect(closedAt - slowEnded).toBeLessThan(500);
  });

  it('tells a keep-alive connection that sends a request during the drain to close, and closes it', async () => {
    // An app provider that takes a while to release its resources keeps the drain open.
    const release = 400;
    running = await startApp(adapter, { releaseMs: release });
    const { app, port } = running;
    const prober = await connection(port);
    const client = await connection(port);
    prober.send('/up');
    expect((await prober.response()).status).toBe(200);
    client.send('/hello');
    const before = await client.response();
    expect(before.status).toBe(200);
    expect(before.headers['connection']).toBe('keep-alive');
    const busy = await connection(port);
    busy.send(`/slow?ms=${release / 2}`);
    const slowReply = busy.response();
    await sleep(50);

    const closed = app.close();
    await sleep(50);
    prober.send('/up');
    const probe = await prober.response();
    expect(probe.status).toBe(503);
    expect(probe.body).toBe('{"status":"shutting_down"}');
    expect(probe.headers['connection']).toBe('close');
    client.send('/hello');
    const during = await client.response();
    expect(during.status).toBe(200);
    expect(during.body).toBe('hello');
    expect(during.headers['connection']).toBe('close');
    const slow = await slowReply;
    expect(slow.status).toBe(200);
    expect(slow.headers['connection']).toBe('close');

    await Promise.all([prober.closedByServer(), client.closedByServer(), busy.closedByServer()]);
    await closed;
  });

  it('closes a keep-alive connection whose response headers were out when the drain began once the response ends', async () => {
    running = await startApp(adapter);
    const { app, port } = running;
    const streaming = await connection(port);
    streaming.send('/stream?ms=300');
    const reply = streaming.response();
    await streaming.firstBytes();
    const closed = app.close().then(() => performance.now());
    const response = await reply;
    const ended = performance.now();
    expect(response.status).toBe(200);
    expect(response.body).toBe('0123456789');
    expect(response.headers['connection']).toBe('keep-alive');
    await streaming.closedByServer();
    expect((await closed) - ended).toBeLessThan(500);
  });

  describe('a connection that never sent a request (Go’s transport, kamal-proxy’s included, and load balancers leave them open)', () => {
    it('is closed when the drain begins, and the app closes without waiting for it', async () => {
      running = await startApp(adapter);
      const { app, port, server } = running;
      const silent = await silentConnection(port, sockets);
      const used = await connection(port);
      used.send('/hello');
      expect((await used.response()).headers['connection']).toBe('keep-alive');
      await accepted(server, 2);

      const took = await closeWithin(() => app.close(), 4000);
      expect(took).not.toBe('still open');
      await Promise.all([closedByServer(silent), used.closedByServer()]);
    });

    it('is closed when it was opened during the drain, before the server closed', async () => {
      // A provider that takes a while to release its resources keeps the server listening meanwhile.
      running = await startApp(adapter, { releaseMs: 400 });
      const { app, port, server } = running;
      const closing = closeWithin(() => app.close(), 4000);
      await sleep(50);
      expect(server.listening).toBe(true);
      const late = await silentConnection(port, sockets);
      await accepted(server, 1);

      expect(await closing).not.toBe('still open');
      await closedByServer(late);
    });

    it('is left open when it has begun a request: the request is answered, with Connection: close', async () => {
      // Its request ends after the server closed: Fastify answers what arrives while it closes 503
      // (its return503OnClosing), Express serves it.
      running = await startApp(adapter);
      const { app, port, server } = running;
      let serverSide: Socket | undefined;
      server.once('connection', (socket: Socket) => (serverSide = socket));
      const socket = await silentConnection(port, sockets);
      const partial = RawConnection.over(socket);
      socket.write('GET /hello HTTP/1.1\r\nHost: localhost\r\n');
      await until(() => (serverSide?.bytesRead ?? 0) > 0);

      const closed = closeWithin(() => app.close(), 4000);
      await until(() => !server.listening);
      socket.write('\r\n');
      const reply = await partial.response();
      expect(reply.status).toBe(adapter === 'express' ? 200 : 503);
      expect(reply.headers['connection']).toBe('close');
      expect(await closed).not.toBe('still open');
      await partial.closedByServer();
    });

    describe('over TLS', () => {
      let tls: { cert: string; key: string };
      beforeAll(async () => {
        const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }]);
        tls = { key: pems.private, cert: pems.cert };
      });

      it('is closed when its handshake is done and it sent nothing more', async () => {
        running = await startApp(adapter, { tls });
        const { app, port, server } = running;
        const secured = once(server, 'secureConnection');
        const socket = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false });
        sockets.push(socket);
        socket.on('error', () => undefined);
        await Promise.all([once(socket, 'secureConnect'), secured]);

        expect(await closeWithin(() => app.close(), 4000)).not.toBe('still open');
        await closedByServer(socket);
      });

      it('is closed when it has not even begun its handshake', async () => {
        running = await startApp(adapter, { tls });
        const { app, port, server } = running;
        const silent = await silentConnection(port, sockets);
        await accepted(server, 1);

        expect(await closeWithin(() => app.close(), 4000)).not.toBe('still open');
        await closedByServer(silent);
      });
    });
  });

  it('answers a probe waiting for its checks 503 shutting_down as soon as shutdown begins', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let checking!: () => void;
    const checkStarted = new Promise<void>((resolve) => (checking = resolve));
    const waits = async () => {
      checking();
      await gate;
      return { database: { status: 'up' as const } };
    };
    running = await startApp(adapter, { probes: { '/up': [waits] } });
    const { app, port } = running;
    const probe = get(port, '/up');
    await checkStarted;
    const closed = app.close();
    try {
      const reply = await probe;
      expect(reply.status).toBe(503);
      expect(reply.body).toBe('{"status":"shutting_down"}');
    } finally {
      release();
    }
    await closed;
  });

  describe.each([0, 400])('shutdownDelayMs %i', (delay) => {
    it('closes an idle keep-alive connection held open like kamal-proxy’s, once the delay is over, and does not wait for its idle timeout', async () => {
      running = await startApp(adapter, { shutdownDelayMs: delay });
      const { app, port } = running;
      // kamal-proxy's connection: its health check, then a proxied request, then idle for good
      // (kamal-proxy sets no idle timeout of its own).
      const held = await connection(port);
      held.send('/up', 'GET', KAMAL_TARGET, ['User-Agent: kamal-proxy']);
      expect((await held.response()).headers['connection']).toBe('keep-alive');
      held.send('/hello', 'GET', 'localhost', ['X-Forwarded-For: 203.0.113.9']);
      const hello = await held.response();
      expect(hello.body).toBe('hello');
      expect(hello.headers['connection']).toBe('keep-alive');

      const closeStarted = performance.now();
      const closed = app.close().then(() => performance.now());
      await held.closedByServer();
      const heldClosedAt = performance.now();
      expect(heldClosedAt - closeStarted).toBeGreaterThanOrEqual(delay);
      // Neither Express's 5 s nor Fastify's 72 s keep-alive timeout.
      expect(heldClosedAt - closeStarted).toBeLessThan(delay + 2000);
      expect((await closed) - heldClosedAt).toBeLessThan(1000);
    });
  });

  it('with shutdownDelayMs 0 refuses a new connection once shutdown begins, while an in-flight request still finishes', async () => {
    running = await startApp(adapter, { shutdownDelayMs: 0 });
    const { app, port, server } = running;
    const busy = await connection(port);
    busy.send('/slow?ms=600');
    const slowReply = busy.response();
    await sleep(50);
    const closed = app.close();
    // The listening socket goes as soon as Nest closes the server, right after the hooks.
    await until(() => !server.listening);
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    const slow = await slowReply;
    expect(slow.status).toBe(200);
    expect(slow.body).toBe('slow done');
    await closed;
  });

  it('with shutdownDelayMs > 0 answers a new connection during the delay: probes 503, the app as usual', async () => {
    const delay = 600;
    running = await startApp(adapter, { shutdownDelayMs: delay });
    const { app, port, server } = running;
    const closeStarted = performance.now();
    const closed = app.close();
    await sleep(50);
    const fresh = await connection(port);
    fresh.send('/hello');
    const hello = await fresh.response();
    expect(hello.status).toBe(200);
    expect(hello.headers['connection']).toBe('keep-alive');
    fresh.send('/up', 'GET', KAMAL_TARGET);
    const probe = await fresh.response();
    expect(probe.status).toBe(503);
    expect(probe.body).toBe('{"status":"shutting_down"}');
    expect(probe.headers['connection']).toBe('close');
    await until(() => !server.listening);
    expect(performance.now() - closeStarted).toBeGreaterThanOrEqual(delay);
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    await closed;
  });

  it('calls onShutdownBegin() of the app’s providers when shutdown begins, before onModuleDestroy, and drains once they are done', async () => {
    events.length = 0;
    WatchesShutdown.hookMs = 300;
    running = await startApp(adapter, { providers: [WatchesShutdown, FailsAtShutdown] });
    const { app, port } = running;
    const closeStarted = performance.now();
    const closed = app.close();
    await until(() => events.length > 0);
    // The app still serves while its hook runs; probes already say it is going.
    expect((await get(port, '/hello')).status).toBe(200);
    expect((await get(port, '/up')).status).toBe(503);
    await closed;
    expect(events.map((event) => event.what)).toEqual(['onShutdownBegin', 'onShutdownBegin done', 'onModuleDestroy']);
    expect((events[0]?.at ?? 0) - closeStarted).toBeLessThan(WatchesShutdown.hookMs);
  });
});

// HTTP/2 runs on Fastify only (Express cannot serve it).
describe('an HTTP/2 probe during shutdown on fastify', () => {
  it('is answered 503 shutting_down without Connection: close, a header HTTP/2 forbids', async () => {
    const writeHead = jest.spyOn(Http2ServerResponse.prototype, 'writeHead');
    const running = await startTestApp('fastify', {
      health: { allowedHosts: ['127.0.0.1'], probePaths: ['/up'], shutdownDelayMs: 400 },
      http2: true,
    });
    try {
      const before = await h2Request(running.port, { ':path': '/up', ':authority': KAMAL_TARGET });
      expect(before.status).toBe(200);
      // Node drops a Connection header from an HTTP/2 response, with a warning only once per
      // process: what the probe runner gives writeHead() is what tells.
      writeHead.mockClear();
      const closed = running.app.close();
      const probe = await h2Request(running.port, { ':path': '/up', ':authority': KAMAL_TARGET });
      expect(probe.status).toBe(503);
      expect(probe.body).toBe('{"status":"shutting_down"}');
      expect(probe.headers['cache-control']).toBe('no-store');
      expect(probe.headers['connection']).toBeUndefined();
      expect(writeHead).toHaveBeenCalledTimes(1);
      const given: unknown = writeHead.mock.calls[0]?.[1];
      expect(typeof given).toBe('object');
      expect(Object.keys(given as object).map((name) => name.toLowerCase())).not.toContain('connection');
      await closed;
    } finally {
      writeHead.mockRestore();
      await running.app.close();
    }
  });
});
