import { HealthIndicatorService } from '@nestjs/terminus';
import type { INestApplication } from '@nestjs/common';
import { register as defaultRegistry, Registry } from 'prom-client';
import { METRIC_NAMES } from '../src/index.js';
import { HealthMetrics } from '../src/observe/health-metrics.js';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, answerFromApp, type AppCode, startApp, type TestApp } from './support/test-app.js';

/**
 * The Prometheus metrics as an operator scrapes them: a real `/metrics` route of the app, served
 * from the registry given to the module, read over HTTP before and after hosts are rejected and
 * probes answered, on both adapters.
 */

/** The app's `/metrics` route, in `main.ts` style, ahead of the counting middleware. */
function serveMetrics(registry: Registry): (app: INestApplication, appCode: AppCode) => void {
  return (app, appCode) => {
    app.use(
      (
        req: { url?: string },
        res: { writeHead(s: number, h: object): void; end(b: string): void },
        next: () => void,
      ) => {
        if (req.url !== '/metrics') return next();
        void registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        });
      },
    );
    answerFromApp(app, appCode);
  };
}

async function scrape(t: TestApp): Promise<Map<string, number>> {
  const res = await rawRequest(t.port, { target: '/metrics', headers: [['Host', 'app.example.com']] });
  expect(res.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

function delta(before: Map<string, number>, after: Map<string, number>, sample: string): number {
  return (after.get(sample) ?? 0) - (before.get(sample) ?? 0);
}

describe.each(ADAPTERS)('Prometheus metrics over %s', (adapter: AdapterName) => {
  let t: TestApp;
  const registry = new Registry();
  beforeAll(async () => {
    const indicators = new HealthIndicatorService();
    t = await startApp(adapter, {
      health: {
        allowedHosts: ['app.example.com'],
        environment: 'production',
        probes: { '/ready': [() => indicators.check('database').up()] },
        metrics: { registry },
      },
      configure: serveMetrics(registry),
    });
  });
  afterAll(() => t.close());

  test('every series a probe path can have is there from the start, at 0', async () => {
    const samples = await scrape(t);
    for (const path of ['/up', '/ready']) {
      expect(samples.get(`${METRIC_NAMES.probeResponses}{path="${path}",status="200"}`)).toBe(0);
      expect(samples.get(`${METRIC_NAMES.probeResponses}{path="${path}",status="503"}`)).toBe(0);
    }
    // A histogram only for a path whose checks run: /up has none.
    expect(samples.get(`${METRIC_NAMES.probeCheckDuration}_count{path="/ready"}`)).toBe(0);
    expect(samples.has(`${METRIC_NAMES.probeCheckDuration}_count{path="/up"}`)).toBe(false);
  });

  test('rejections count by rule and status; probes by path and status; runs of checks by duration', async () => {
    const before = await scrape(t);
    await rawRequest(t.port, { target: '/', headers: [['Host', 'evil.example']] });
    await rawRequest(t.port, { target: '/', headers: [['Host', 'other.example']] });
    await rawRequest(t.port, { target: '/', headers: [['Host', 'bad host']] });
    for (let i = 0; i < 3; i++) expect((await rawRequest(t.port, { target: '/up' })).status).toBe(200);
    expect((await rawRequest(t.port, { method: 'HEAD', target: '/ready' })).status).toBe(200);
    const after = await scrape(t);
    expect(delta(before, after, `${METRIC_NAMES.hostRejections}{rule="not-allowed",status="400"}`)).toBe(2);
    expect(delta(before, after, `${METRIC_NAMES.hostRejections}{rule="malformed",status="400"}`)).toBe(1);
    expect(delta(before, after, `${METRIC_NAMES.probeResponses}{path="/up",status="200"}`)).toBe(3);
    expect(delta(before, after, `${METRIC_NAMES.probeResponses}{path="/ready",status="200"}`)).toBe(1);
    expect(delta(before, after, `${METRIC_NAMES.probeResponses}{path="/up",status="503"}`)).toBe(0);
    expect(delta(before, after, `${METRIC_NAMES.probeCheckDuration}_count{path="/ready"}`)).toBe(1);
    expect(after.get(`${METRIC_NAMES.probeCheckDuration}_sum{path="/ready"}`)).toBeGreaterThanOrEqual(0);
  });

  test('probes answered 503 once shutdown has begun are counted as such', async () => {
    const own = new Registry();
    const closing = await startApp(adapter, {
      health: {
        allowedHosts: ['app.example.com'],
        environment: 'production',
        shutdownDelayMs: 1000,
        metrics: { registry: own },
      },
    });
    const closed = closing.app.close();
    // During shutdownDelayMs the server still serves; its probes answer 503.
    expect((await rawRequest(closing.port, { target: '/up' })).status).toBe(503);
    await closed;
    expect(await own.metrics()).toContain(`${METRIC_NAMES.probeResponses}{path="/up",status="503"} 1`);
  });
});

describe('metrics: true', () => {
  test("registers in prom-client's default registry, and a second app in the process counts on in the same series", async () => {
    const first = await startApp('express', {
      health: { allowedHosts: ['app.example.com'], environment: 'production', metrics: true },
    });
    await rawRequest(first.port, { target: '/up' });
    await first.close();
    const second = await startApp('fastify', {
      health: { allowedHosts: ['app.example.com'], environment: 'production', metrics: true },
    });
    await rawRequest(second.port, { target: '/up' });
    await second.close();
    const text = await defaultRegistry.metrics();
    expect(text).toContain(`${METRIC_NAMES.probeResponses}{path="/up",status="200"} 2`);
    defaultRegistry.clear();
  });

  test('a registry holding another metric of that name is refused, naming the way out', async () => {
    const registry = new Registry();
    registry.registerMetric(
      new (await import('prom-client')).Gauge({ name: METRIC_NAMES.hostRejections, help: 'x', registers: [] }),
    );
    await expect(HealthMetrics.create({ registry }, ['/up'], [])).rejects.toThrow(
      "upgate: the metrics registry has a metric named upgate_host_rejections_total already, of another type than upgate's; remove it or give upgate a registry of its own (metrics: { registry })",
    );
  });

  test('without prom-client installed, start-up fails naming the install command', async () => {
    // The import as Node fails it for a package that is not installed.
    const missing = () => import('@upgate/not-installed-for-this-test' as string);
    await expect(HealthMetrics.create(true, ['/up'], [], missing)).rejects.toThrow(
      'upgate: the metrics option needs prom-client, which is not installed; install it (npm install prom-client) or leave metrics off',
    );
    // Off, nothing is imported at all.
    let imported = false;
    const metrics = await HealthMetrics.create(false, ['/up'], [], () => {
      imported = true;
      return Promise.resolve({});
    });
    expect([metrics.enabled, imported]).toEqual([false, false]);
  });
});
