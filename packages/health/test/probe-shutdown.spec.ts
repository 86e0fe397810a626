import { setTimeout as sleep } from 'node:timers/promises';
import { ADAPTERS, type RunningApp, RawConnection, get, startApp } from './probe-harness.js';

describe.each(ADAPTERS)('probes and connections during shutdown on %s', (adapter) => {
  let running: RunningApp | undefined;
  const connections: RawConnection[] = [];
  afterEach(async () => {
    for (const connection of connections.splice(0)) connection.destroy();
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
});
