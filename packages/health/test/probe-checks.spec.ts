import { HealthIndicatorService } from '@nestjs/terminus';
import { ADAPTERS, type RunningApp, get, startApp } from './probe-harness.js';

const indicators = new HealthIndicatorService();
const up = () => indicators.check('database').up();
const down = () => indicators.check('queue').down({ message: 'connection refused' });
const degraded = () => indicators.check('cache').degraded({ message: 'replica lag 4 s' });
const hung = () => new Promise<never>(() => undefined);
const throws = () => Promise.reject(new Error('pool exhausted'));

describe.each(ADAPTERS)('probe checks on %s', (adapter) => {
  let running: RunningApp | undefined;
  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });

  it('answers liveness (a probe path without checks) 200 with the status alone', async () => {
    running = await startApp(adapter);
    const reply = await get(running.port, '/up');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('{"status":"ok"}');
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.headers['content-length']).toBe(String(Buffer.byteLength(reply.body)));
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    running = await startApp(adapter, { probePaths: ['/up', '/ready'], probes: { '/ready': [down] } });
    const live = await get(running.port, '/up', 'HEAD');
    expect(live.status).toBe(200);
    expect(live.body).toBe('');
    expect(live.headers['content-length']).toBe(String('{"status":"ok"}'.length));
    expect(live.headers['cache-control']).toBe('no-store');
    const failing = await get(running.port, '/ready', 'HEAD');
    expect(failing.status).toBe(503);
    expect(failing.body).toBe('');
    expect(failing.headers['content-length']).toBe(String('{"status":"error"}'.length));
  });

  it("answers a healthy check 200 with terminus' result under probeDetails 'full'", async () => {
    running = await startApp(adapter, {
      probePaths: ['/up', '/ready'],
      probes: { '/ready': [up, degraded] },
      probeDetails: 'full',
    });
    const reply = await get(running.port, '/ready');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({
      status: 'degraded',
      info: { database: { status: 'up' }, cache: { status: 'degraded', message: 'replica lag 4 s' } },
      error: {},
      details: { database: { status: 'up' }, cache: { status: 'degraded', message: 'replica lag 4 s' } },
    });
    expect(reply.headers['cache-control']).toBe('no-store');
    const live = await get(running.port, '/up');
    expect(JSON.parse(live.body)).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
  });

  it('answers a healthy check 200 with the status alone by default', async () => {
    running = await startApp(adapter, { probes: { '/up': [up] } });
    const reply = await get(running.port, '/up');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('{"status":"ok"}');
  });

  it('answers a failing check 503 with the status alone by default', async () => {
    running = await startApp(adapter, { probes: { '/up': [up, down] } });
    const reply = await get(running.port, '/up');
    expect(reply.status).toBe(503);
    expect(reply.body).toBe('{"status":"error"}');
    expect(reply.headers['cache-control']).toBe('no-store');
  });

  it("answers a failing check 503 with terminus' result under probeDetails 'full'", async () => {
    running = await startApp(adapter, { probes: { '/up': [up, down] }, probeDetails: 'full' });
    const reply = await get(running.port, '/up');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toEqual({
      status: 'error',
      info: { database: { status: 'up' } },
      error: { queue: { status: 'down', message: 'connection refused' } },
      details: { database: { status: 'up' }, queue: { status: 'down', message: 'connection refused' } },
    });
  });

  it('answers 503 when an indicator throws instead of reporting "down", without showing the error', async () => {
    running = await startApp(adapter, { probes: { '/up': [throws] }, probeDetails: 'full' });
    const reply = await get(running.port, '/up');
    expect(reply.status).toBe(503);
    expect(reply.body).toBe(
      '{"status":"error","message":"a health indicator threw an error; see the application log"}',
    );
  });

  it('answers a hung check 503 at the deadline; the next probe gets it at once, and a new run starts only once the late one settled', async () => {
    const deadline = 200;
    let calls = 0;
    let settle!: () => void;
    const counted = () => {
      calls += 1;
      return new Promise<{ database: { status: 'up' } }>((resolve) => {
        settle = () => resolve({ database: { status: 'up' } });
      });
    };
    running = await startApp(adapter, { probes: { '/up': [counted] }, probeTimeoutMs: deadline, probeDetails: 'full' });
    const reply = await get(running.port, '/up');
    expect(reply.status).toBe(503);
    expect(reply.body).toBe(`{"status":"error","message":"the health checks did not finish within ${deadline} ms"}`);
    expect(reply.ms).toBeGreaterThanOrEqual(deadline);
    expect(reply.ms).toBeLessThan(2 * deadline);
    const again = await get(running.port, '/up');
    expect(again.status).toBe(503);
    expect(again.body).toBe(reply.body);
    expect(again.ms).toBeLessThan(deadline);
    expect(calls).toBe(1);
    settle();
    await new Promise((resolve) => setImmediate(resolve));
    const after = await get(running.port, '/up');
    expect(calls).toBe(2);
    expect(after.status).toBe(503);
  });

  it('keeps serving other requests while a check hangs: the event loop stays free', async () => {
    const deadline = 300;
    running = await startApp(adapter, { probes: { '/up': [hung] }, probeTimeoutMs: deadline });
    const probe = get(running.port, '/up');
    const hello = await get(running.port, '/hello');
    expect(hello.status).toBe(200);
    expect(hello.ms).toBeLessThan(deadline);
    expect((await probe).status).toBe(503);
  });
});
