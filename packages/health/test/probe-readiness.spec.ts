import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthEvents, Readiness } from '../src/index.js';
import { HealthLog } from '../src/observe/health-log.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { ADAPTERS, type RunningApp, get, startApp } from './probe-harness.js';
import { rawRequest } from './support/raw-http.js';

const indicators = new HealthIndicatorService();
const up = () => indicators.check('database').up();

describe.each(ADAPTERS)('readiness the app controls on %s', (adapter) => {
  let running: RunningApp | undefined;
  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });

  it('a readiness path answers 503 with the reasons while the app is not ready, and 200 again after; liveness stays 200', async () => {
    running = await startApp(adapter, {
      probePaths: ['/up', '/ready'],
      readinessPaths: ['/ready'],
      probeDetails: 'full',
    });
    const { app, port } = running;
    const readiness = app.get(Readiness);
    expect((await get(port, '/ready')).status).toBe(200);

    readiness.markNotReady('maintenance');
    readiness.markNotReady('cache warming up');
    const notReady = await get(port, '/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(notReady.body)).toEqual({
      status: 'error',
      message: 'the application is not ready',
      reasons: ['maintenance', 'cache warming up'],
    });
    expect((await get(port, '/ready', 'HEAD')).status).toBe(503);
    const live = await get(port, '/up');
    expect(live.status).toBe(200);
    expect(app.get(Readiness).isReady).toBe(false);

    // One reason over, the other still standing.
    readiness.markReady('maintenance');
    const stillNot = await get(port, '/ready');
    expect(stillNot.status).toBe(503);
    expect(JSON.parse(stillNot.body).reasons).toEqual(['cache warming up']);

    readiness.markReady('cache warming up');
    const ready = await get(port, '/ready');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body).status).toBe('ok');
    expect(readiness.isReady).toBe(true);
    expect(readiness.reasons).toEqual([]);
  });

  it('shows the status alone under the default probeDetails', async () => {
    running = await startApp(adapter, { probePaths: ['/up', '/ready'], readinessPaths: ['/ready'] });
    running.app.get(Readiness).markNotReady('database at 10.0.0.5 unreachable');
    const reply = await get(running.port, '/ready');
    expect(reply.status).toBe(503);
    expect(reply.body).toBe('{"status":"error"}');
  });

  it('makes the paths with checks the readiness paths by default, and answers from their checks once ready again', async () => {
    let calls = 0;
    const counted = () => {
      calls += 1;
      return up();
    };
    running = await startApp(adapter, { probePaths: ['/up', '/ready'], probes: { '/up': [], '/ready': [counted] } });
    const { app, port } = running;
    expect((await get(port, '/ready')).status).toBe(200);
    expect(calls).toBe(1);
    app.get(Readiness).markNotReady('maintenance');
    expect((await get(port, '/ready')).status).toBe(503);
    // Not ready: the checks are not run at all.
    expect(calls).toBe(1);
    expect((await get(port, '/up')).status).toBe(200);
    app.get(Readiness).markReady('maintenance');
    expect((await get(port, '/ready')).status).toBe(200);
    expect(calls).toBe(2);
  });

  it('leaves a path with checks out of readiness when readinessPaths is given without it', async () => {
    running = await startApp(adapter, {
      probePaths: ['/up', '/ready'],
      probes: { '/up': [up] },
      readinessPaths: ['/ready'],
    });
    running.app.get(Readiness).markNotReady('maintenance');
    expect((await get(running.port, '/up')).status).toBe(200);
    expect((await get(running.port, '/ready')).status).toBe(503);
  });

  it('answers the not-ready 503 whatever the Host, and never lets the Host reach the app', async () => {
    running = await startApp(adapter, { probePaths: ['/up', '/ready'], readinessPaths: ['/ready'] });
    running.app.get(Readiness).markNotReady('maintenance');
    const reply = await rawRequest(running.port, {
      target: '/ready',
      headers: [
        ['Host', '7c7168a662c1:3000'],
        ['User-Agent', 'kamal-proxy'],
      ],
    });
    expect(reply.status).toBe(503);
    expect(reply.body).toBe('{"status":"error"}');
  });
});

describe('Readiness', () => {
  const readinessWith = (logger = new CapturingLogger()): Readiness => {
    const log = new HealthLog(logger);
    return new Readiness(log, new HealthEvents(log));
  };

  it('refuses a reason that is not a non-empty string, naming the method', () => {
    const readiness = readinessWith();
    expect(() => readiness.markNotReady('')).toThrow(
      `upgate: Readiness.markNotReady() needs a reason, a non-empty string such as 'maintenance' (got "")`,
    );
    expect(() => readiness.markReady(undefined as unknown as string)).toThrow(
      `upgate: Readiness.markReady() needs a reason, a non-empty string such as 'maintenance' (got undefined)`,
    );
    expect(readiness.isReady).toBe(true);
  });

  it('counts a reason once, however often it is marked, and logs each change once, under "upgate"', () => {
    const logger = new CapturingLogger();
    const readiness = readinessWith(logger);
    readiness.markNotReady('maintenance');
    readiness.markNotReady('maintenance');
    expect(readiness.reasons).toEqual(['maintenance']);
    readiness.markReady('maintenance');
    expect(readiness.isReady).toBe(true);
    readiness.markReady('not standing');
    expect(readiness.isReady).toBe(true);
    expect(logger.lines).toEqual([
      { level: 'warn', context: 'upgate', message: 'not ready: maintenance; readiness paths answer 503' },
      { level: 'log', context: 'upgate', message: 'ready again (maintenance is over)' },
    ]);
  });
});
