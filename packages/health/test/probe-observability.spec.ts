import { HealthIndicatorService } from '@nestjs/terminus';
import { Registry } from 'prom-client';
import { type HealthEvent, HealthEvents } from '../src/index.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, startApp, type TestApp } from './support/test-app.js';

/**
 * What operators see of the probes: one log line per change of a probe path's state, however many
 * probes (terminus' own line per failed run silenced); the events of each probe, run and change;
 * a line when shutdown begins; the start-up line; every line under the context "upgate", through
 * the app's logger.
 */

const indicators = new HealthIndicatorService();

/** A database whose health a test switches. */
class Switch {
  state: 'up' | 'down' | 'hung' = 'up';
  runs = 0;
  readonly check = async () => {
    this.runs++;
    if (this.state === 'hung') return new Promise<never>(() => undefined);
    return this.state === 'up'
      ? indicators.check('database').up()
      : indicators.check('database').down({ message: 'connection refused' });
  };
}

async function flood(port: number, count: number, concurrency: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next++ < count) statuses.push((await rawRequest(port, { target: '/ready' })).status);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

/** The lines of the module, and any of terminus or the old probe context. */
function moduleLines(logger: CapturingLogger) {
  return logger.lines.filter((line) => ['upgate', 'HealthProbe', 'HealthCheckService'].includes(line.context ?? ''));
}

describe.each(ADAPTERS)('probe observability over %s', (adapter: AdapterName) => {
  let t: TestApp;
  let appLogger: CapturingLogger;
  const database = new Switch();
  const events: HealthEvent[] = [];
  beforeAll(async () => {
    appLogger = new CapturingLogger();
    t = await startApp(adapter, {
      // No logger option: the module writes through the app's logger.
      health: {
        allowedHosts: ['app.example.com'],
        environment: 'production',
        probes: { '/ready': [database.check] },
        probeTimeoutMs: 300,
      },
      logger: appLogger,
    });
    t.app.get(HealthEvents).subscribe((event) => events.push(event));
  });
  afterAll(() => t.close());
  beforeEach(() => {
    appLogger.lines.length = 0;
    events.length = 0;
  });

  test('a flood of failing probes writes one line when the path fails and one when it passes again', async () => {
    database.state = 'up';
    expect(await flood(t.port, 20, 5)).toEqual(Array(20).fill(200));
    database.state = 'down';
    const runsBefore = database.runs;
    expect(await flood(t.port, 300, 20)).toEqual(Array(300).fill(503));
    expect(database.runs - runsBefore).toBeGreaterThan(1);
    database.state = 'up';
    expect((await rawRequest(t.port, { target: '/ready' })).status).toBe(200);
    expect(moduleLines(appLogger).map(({ level, context, message }) => ({ level, context, message }))).toEqual([
      {
        level: 'warn',
        context: 'upgate',
        message: '/ready (readiness) is failing: database: down (connection refused); it answers 503',
      },
      {
        level: 'log',
        context: 'upgate',
        message: expect.stringMatching(/^\/ready \(readiness\) is passing again after \d+(\.\d)? m?s failing$/),
      },
    ]);
    expect(appLogger.lines.filter((line) => line.message.includes('Health Check has failed'))).toEqual([]);
  });

  test('each probe, each run and each change of state is an event', async () => {
    database.state = 'down';
    await rawRequest(t.port, { target: '/ready' });
    await rawRequest(t.port, { method: 'HEAD', target: '/up' });
    database.state = 'up';
    await rawRequest(t.port, { target: '/ready' });
    const probes = events.filter((event) => event.type === 'probe');
    expect(probes).toEqual([
      { type: 'probe', path: '/ready', kind: 'readiness', method: 'GET', status: 503, outcome: 'failing' },
      { type: 'probe', path: '/up', kind: 'liveness', method: 'HEAD', status: 200, outcome: 'ok' },
      { type: 'probe', path: '/ready', kind: 'readiness', method: 'GET', status: 200, outcome: 'ok' },
    ]);
    const runs = events.filter((event) => event.type === 'probe-checks');
    expect(runs).toEqual([
      {
        type: 'probe-checks',
        path: '/ready',
        kind: 'readiness',
        outcome: 'failing',
        durationMs: expect.any(Number),
        overdue: false,
        checks: { database: { status: 'down', message: 'connection refused' } },
        error: undefined,
      },
      expect.objectContaining({ outcome: 'ok', checks: { database: { status: 'up' } } }),
    ]);
    expect(events.filter((event) => event.type === 'probe-state')).toEqual([
      {
        type: 'probe-state',
        path: '/ready',
        kind: 'readiness',
        state: 'failing',
        previous: 'passing',
        previousForMs: expect.any(Number),
        detail: 'database: down (connection refused)',
      },
      expect.objectContaining({ state: 'passing', previous: 'failing', detail: undefined }),
    ]);
  });

  test('a hung check: one line at the deadline, however many probes, and one when it is back', async () => {
    database.state = 'hung';
    const statuses = await flood(t.port, 100, 10);
    expect(statuses).toEqual(Array(100).fill(503));
    expect(moduleLines(appLogger).map((line) => line.message)).toEqual([
      '/ready (readiness): the health checks did not finish within 300 ms (probeTimeoutMs); answering 503 until they do, without starting another run',
    ]);
  });

  test('a listener that throws is logged once and changes nothing for the probe', async () => {
    const unsubscribe = t.app.get(HealthEvents).subscribe(() => {
      throw new Error('listener bug');
    });
    try {
      for (let i = 0; i < 3; i++) expect((await rawRequest(t.port, { target: '/up' })).status).toBe(200);
    } finally {
      unsubscribe();
    }
    expect(
      moduleLines(appLogger)
        .filter((line) => line.level === 'error')
        .map((line) => line.message),
    ).toEqual(["a HealthEvents listener threw on a 'probe' event (logged once per listener); the request goes on"]);
  });
});

describe.each(ADAPTERS)('start-up and shutdown lines over %s', (adapter: AdapterName) => {
  test('the start-up line names each probe path with its kind and checks, the allowlist, the trust, the format', async () => {
    const logger = new CapturingLogger();
    const events: HealthEvent[] = [];
    const t = await startApp(adapter, {
      health: {
        allowedHosts: ['app.example.com', '.example.org'],
        probePaths: ['/up', '/ready', '/startup'],
        startupPath: '/startup',
        probes: {
          '/ready': [() => indicators.check('db').up(), () => indicators.check('cache').up()],
          '/startup': [() => indicators.check('migrations').up()],
        },
        trustProxy: ['loopback'],
        rejectStatus: 421,
        rejectionResponse: 'problem+json',
        metrics: { registry: new Registry() },
        shutdownDelayMs: 50,
        environment: 'production',
        logger,
      },
    });
    t.app.get(HealthEvents).subscribe((event) => events.push(event));
    expect(logger.messages('log', 'upgate')).toEqual([
      'probe paths /up (liveness), /ready (readiness, 2 checks), /startup (startup, 1 check); 2 allowed hosts from the allowedHosts option; X-Forwarded-Host believed from loopback; a rejected host gets 421 (problem+json); Prometheus metrics on',
    ]);
    await t.close();
    expect(logger.messages('log', 'upgate').slice(1)).toEqual([
      'shutdown began: probes answer 503 from now on; the app serves for 50 ms more (shutdownDelayMs), then drains its connections',
    ]);
    expect(events.filter((event) => event.type !== 'probe-checks')).toEqual([{ type: 'shutdown', delayMs: 50 }]);
    expect(logger.lines.every((line) => line.context === 'upgate')).toBe(true);
  });
});
