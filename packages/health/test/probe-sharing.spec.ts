import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ADAPTERS, type RunningApp, get, startApp } from './probe-harness.js';

const indicators = new HealthIndicatorService();

/** Resolves once the server has received `count` requests (counted ahead of every handler). */
function requestsReceived(server: Server, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const emit = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
    server.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'request' && ++seen === count) resolve();
      return emit.call(this, event, ...args);
    } as typeof server.emit;
  });
}

describe.each(ADAPTERS)('probe runs shared and reused on %s', (adapter) => {
  let running: RunningApp | undefined;
  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });

  it('runs a slow check once for 1,000 concurrent probes, and answers them all', async () => {
    const probes = 1000;
    let calls = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // Slow until every probe has reached the server, however long the connections take to open.
    const slow = async () => {
      calls += 1;
      await released;
      await sleep(100);
      return indicators.check('database').up();
    };
    running = await startApp(adapter, { probes: { '/up': [slow] }, probeTimeoutMs: 15_000 });
    const { port, server } = running;
    const allReceived = requestsReceived(server, probes);
    const replies = Array.from({ length: probes }, () => get(port, '/up'));
    await allReceived;
    release();
    const statuses = (await Promise.all(replies)).map((reply) => reply.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(probes);
    expect(calls).toBe(1);
  }, 30_000);

  it('runs the checks anew for each probe after the previous run finished when probeCacheMs is 0', async () => {
    let calls = 0;
    const counted = () => {
      calls += 1;
      return indicators.check('database').up();
    };
    running = await startApp(adapter, { probes: { '/up': [counted] } });
    for (let i = 0; i < 3; i++) expect((await get(running.port, '/up')).status).toBe(200);
    expect(calls).toBe(3);
  });

  it('reuses a result, failing ones too, for probeCacheMs, then runs the checks again', async () => {
    const window = 600;
    let calls = 0;
    const counted = () => {
      calls += 1;
      return indicators.check('queue').down({ message: 'connection refused' });
    };
    running = await startApp(adapter, { probes: { '/up': [counted] }, probeCacheMs: window });
    const first = await get(running.port, '/up');
    const started = performance.now();
    const second = await get(running.port, '/up');
    const third = await get(running.port, '/up');
    const reusedWithin = performance.now() - started;
    expect([first.status, second.status, third.status]).toEqual([503, 503, 503]);
    expect(third.body).toBe('{"status":"error"}');
    // Only meaningful if both came inside the window, which two local requests leave far behind.
    expect(reusedWithin).toBeLessThan(window);
    expect(calls).toBe(1);
    await sleep(window + 50);
    expect((await get(running.port, '/up')).status).toBe(503);
    expect(calls).toBe(2);
  });
});
