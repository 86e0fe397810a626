import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer, type Server as NetServer } from 'node:net';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { INestApplication } from '@nestjs/common';
import { ADAPTERS, type AppCase, RawConnection, createApp, get, listen } from './probe-harness.js';

const indicators = new HealthIndicatorService();

/**
 * A way into an app's HTTP server before `app.listen()`: a listener of the test's own that hands
 * each connection it accepts to the app's server (`server.emit('connection')`, as a process
 * manager passing sockets would). The app's server parses and answers it as any request; it just
 * is not listening itself.
 */
async function handOver(app: INestApplication): Promise<{ port: number; close: () => void }> {
  const target = app.getHttpServer() as Server;
  const front: NetServer = createServer((socket) => target.emit('connection', socket));
  front.listen(0, '127.0.0.1');
  await once(front, 'listening');
  return { port: (front.address() as { port: number }).port, close: () => front.close() };
}

async function ask(port: number, path: string): Promise<{ status: number; body: string }> {
  const connection = await RawConnection.open(port);
  try {
    connection.send(path, 'GET', '10.1.2.3:3000', ['User-Agent: kube-probe/1.31', 'Connection: close']);
    const { status, body } = await connection.response();
    return { status, body };
  } finally {
    connection.destroy();
  }
}

describe.each(ADAPTERS)('the startup path on %s', (adapter) => {
  let app: INestApplication | undefined;
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    await app?.close();
    app = undefined;
  });

  const paths: AppCase = {
    probePaths: ['/up', '/ready', '/startup'],
    readinessPaths: ['/ready'],
    startupPath: '/startup',
  };

  it('answers 503 until the server listens, then 200; readiness follows it, liveness does not wait', async () => {
    app = await createApp(adapter, { ...paths, probeDetails: 'full' });
    await app.init();
    const front = await handOver(app);
    cleanups.push(front.close);
    const starting = { status: 503, body: '{"status":"error","message":"the application is starting"}' };
    expect(await ask(front.port, '/startup')).toEqual(starting);
    expect(await ask(front.port, '/ready')).toEqual(starting);
    expect((await ask(front.port, '/up')).status).toBe(200);

    const { port } = await listen(app);
    expect((await get(port, '/startup')).status).toBe(200);
    expect((await get(port, '/ready')).status).toBe(200);
    // The same server, reached either way, has started.
    expect((await ask(front.port, '/startup')).status).toBe(200);
  });

  it('holds the startup and readiness paths at 503 until the startup checks pass once, then never runs them again', async () => {
    let migrated = false;
    let calls = 0;
    const schema = () => {
      calls += 1;
      return migrated
        ? indicators.check('schema').up()
        : indicators.check('schema').down({ message: 'migration 42 running' });
    };
    app = await createApp(adapter, { ...paths, probes: { '/startup': [schema] }, probeDetails: 'full' });
    const { port } = await listen(app);
    // They began when the server listened, before any probe.
    expect(calls).toBe(1);

    const failing = await get(port, '/startup');
    expect(failing.status).toBe(503);
    expect(JSON.parse(failing.body)).toMatchObject({
      status: 'error',
      error: { schema: { status: 'down', message: 'migration 42 running' } },
    });
    expect((await get(port, '/ready')).status).toBe(503);
    expect((await get(port, '/up')).status).toBe(200);
    const callsBefore = calls;

    migrated = true;
    // A readiness probe runs them too: readiness follows start-up.
    expect((await get(port, '/ready')).status).toBe(200);
    expect(calls).toBe(callsBefore + 1);
    expect((await get(port, '/startup')).status).toBe(200);

    // Started for good: a later failure of the same check is not start-up's business.
    migrated = false;
    expect((await get(port, '/startup')).status).toBe(200);
    expect((await get(port, '/ready')).status).toBe(200);
    expect(calls).toBe(callsBefore + 1);
  });

  it('shows the status alone before the start under the default probeDetails', async () => {
    app = await createApp(adapter, paths);
    await app.init();
    const front = await handOver(app);
    cleanups.push(front.close);
    expect(await ask(front.port, '/startup')).toEqual({ status: 503, body: '{"status":"error"}' });
  });
});
