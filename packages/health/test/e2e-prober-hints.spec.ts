import { type HealthEvent, HealthEvents } from '../src/index.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, startApp, type TestApp } from './support/test-app.js';

/**
 * A platform's health check on a path that is not a probe path is rejected for its Host (a
 * container id, a pod or target IP, localhost): the log line, the event and the body name the fix
 * that works, the probe path, as each platform is told it. The User-Agent picks the words only:
 * the status is the same without it. Probe paths here: /up (liveness), /ready (readiness).
 */

const PLAIN = "Bad Request: host not allowed (not in this server's allowed hosts).";
const NOT_LISTED = 'well-formed but matches no entry of the allowed hosts';
const ORIGIN = "upgate's default plus the readinessPaths option";

interface ProberCase {
  readonly name: string;
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly line: string;
  readonly body: string;
}

const CASES: readonly ProberCase[] = [
  {
    name: 'kamal-proxy on /health',
    target: '/health',
    headers: [
      ['Host', '7c7168a662c1:3000'],
      ['User-Agent', 'kamal-proxy'],
    ],
    line: `Rejected Host '7c7168a662c1:3000' with 400 (GET /health from 127.0.0.1): ${NOT_LISTED}; this looks like kamal-proxy's health check (User-Agent 'kamal-proxy'), which a probe path answers whatever its Host; fix: add '/health' to the probe paths (${ORIGIN}), or set proxy.healthcheck.path in config/deploy.yml to '/up'`,
    body: `${PLAIN} This looks like kamal-proxy's health check of /health: add '/health' to the app's probe paths, or set proxy.healthcheck.path in config/deploy.yml to '/up'.\n`,
  },
  {
    name: 'kube-probe on /healthz',
    target: '/healthz',
    headers: [
      ['Host', '10.42.0.17:3000'],
      ['User-Agent', 'kube-probe/1.31'],
      ['Accept', '*/*'],
    ],
    line: `Rejected Host '10.42.0.17:3000' with 400 (GET /healthz from 127.0.0.1): ${NOT_LISTED}; this looks like Kubernetes's health check (User-Agent 'kube-probe/1.31'), which a probe path answers whatever its Host; fix: add '/healthz' to the probe paths (${ORIGIN}), or set the probe's httpGet.path to one of '/up' (liveness), '/ready' (readiness)`,
    body: `${PLAIN} This looks like Kubernetes's health check of /healthz: add '/healthz' to the app's probe paths, or set the probe's httpGet.path to one of '/up' (liveness), '/ready' (readiness).\n`,
  },
  {
    name: 'an AWS ELB health check on / (its default): never "add / to the probe paths"',
    target: '/',
    headers: [
      ['Host', '172.31.5.9'],
      ['User-Agent', 'ELB-HealthChecker/2.0'],
    ],
    line: `Rejected Host '172.31.5.9' with 400 (GET / from 127.0.0.1): ${NOT_LISTED}; this looks like AWS ELB's health check (User-Agent 'ELB-HealthChecker/2.0'), which a probe path answers whatever its Host; fix: set the target group's health check path to '/ready'`,
    body: `${PLAIN} This looks like AWS ELB's health check of /: set the target group's health check path to '/ready'.\n`,
  },
  {
    name: 'a Google Cloud health check on /healthz',
    target: '/healthz',
    headers: [
      ['Host', '10.128.0.5:3000'],
      ['User-Agent', 'GoogleHC/1.0'],
    ],
    line: `Rejected Host '10.128.0.5:3000' with 400 (GET /healthz from 127.0.0.1): ${NOT_LISTED}; this looks like Google Cloud's health check (User-Agent 'GoogleHC/1.0'), which a probe path answers whatever its Host; fix: add '/healthz' to the probe paths (${ORIGIN}), or set the health check's request path to '/ready'`,
    body: `${PLAIN} This looks like Google Cloud's health check of /healthz: add '/healthz' to the app's probe paths, or set the health check's request path to '/ready'.\n`,
  },
  {
    name: 'a Docker HEALTHCHECK (curl from loopback) on /health',
    target: '/health',
    headers: [
      ['Host', 'localhost:3000'],
      ['User-Agent', 'curl/8.5.0'],
    ],
    line: `Rejected Host 'localhost:3000' with 400 (GET /health from 127.0.0.1): ${NOT_LISTED}; this looks like Docker HEALTHCHECK's health check (curl from loopback), which a probe path answers whatever its Host; fix: add '/health' to the probe paths (${ORIGIN}), or have the HEALTHCHECK request '/up'`,
    body: `${PLAIN} This looks like Docker HEALTHCHECK's health check of /health: add '/health' to the app's probe paths, or have the HEALTHCHECK request '/up'.\n`,
  },
  {
    name: "an older kamal-proxy (Go's User-Agent) on /up/: the probe path is matched exactly",
    target: '/up/',
    headers: [
      ['Host', '7c7168a662c1:80'],
      ['User-Agent', 'Go-http-client/1.1'],
    ],
    line: `Rejected Host '7c7168a662c1:80' with 400 (GET /up/ from 127.0.0.1): ${NOT_LISTED}; this looks like kamal-proxy's health check (Host is a container id), which a probe path answers whatever its Host; fix: probe paths are matched exactly, and '/up/' is not '/up'; set proxy.healthcheck.path in config/deploy.yml to '/up'`,
    body: `${PLAIN} This looks like kamal-proxy's health check of /up/: probe paths are matched exactly, and '/up/' is not '/up'; set proxy.healthcheck.path in config/deploy.yml to '/up'.\n`,
  },
  {
    name: 'an unnamed checker with an IP and a port as its Host on /livez',
    target: '/livez',
    headers: [['Host', '192.0.2.10:8080']],
    line: `Rejected Host '192.0.2.10:8080' with 400 (GET /livez from 127.0.0.1): ${NOT_LISTED}; this looks like a platform health check (Host is an IP address with a port), which a probe path answers whatever its Host; fix: add '/livez' to the probe paths (${ORIGIN}), or point the health check at one of '/up' (liveness), '/ready' (readiness)`,
    body: `${PLAIN} This looks like a platform health check of /livez: add '/livez' to the app's probe paths, or point the health check at one of '/up' (liveness), '/ready' (readiness).\n`,
  },
  {
    name: 'kamal-proxy on a path no probe path could be: the path is not repeated in the body',
    target: '/health%zz',
    headers: [
      ['Host', '7c7168a662c1:3000'],
      ['User-Agent', 'kamal-proxy'],
    ],
    line: `Rejected Host '7c7168a662c1:3000' with 400 (GET /health%zz from 127.0.0.1): ${NOT_LISTED}; this looks like kamal-proxy's health check (User-Agent 'kamal-proxy'), which a probe path answers whatever its Host; fix: set proxy.healthcheck.path in config/deploy.yml to '/up'`,
    body: `${PLAIN} This looks like kamal-proxy's health check: set proxy.healthcheck.path in config/deploy.yml to '/up'.\n`,
  },
];

describe.each(ADAPTERS)('prober-aware rejections over %s', (adapter: AdapterName) => {
  let t: TestApp;
  let logger: CapturingLogger;
  const events: HealthEvent[] = [];
  beforeAll(async () => {
    logger = new CapturingLogger();
    t = await startApp(adapter, {
      health: {
        allowedHosts: ['app.example.com', 'host.test:3000'],
        readinessPaths: ['/ready'],
        environment: 'production',
        logger,
        // Every rejection logged: this file sends some values twice.
        rejectLogWindowMs: 1,
      },
    });
    t.app.get(HealthEvents).subscribe((event) => events.push(event));
  });
  afterAll(() => t.close());
  beforeEach(() => {
    logger.lines.length = 0;
    events.length = 0;
  });

  test.each(CASES)('$name: the log line and the body name the probe path', async ({ target, headers, line, body }) => {
    const res = await rawRequest(t.port, { target, headers });
    expect(res.status).toBe(400);
    expect(res.body).toBe(body);
    expect(logger.messages('warn', 'upgate')).toEqual([line]);
    expect(t.appCode.requests).toBe(0);
  });

  test('the User-Agent picks the words only: the same request without it gets the same status, the host fix', async () => {
    const host: [string, string] = ['Host', 'evil.example'];
    const asKamal = await rawRequest(t.port, { target: '/health', headers: [host, ['User-Agent', 'kamal-proxy']] });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const plain = await rawRequest(t.port, { target: '/health', headers: [host] });
    expect([asKamal.status, plain.status]).toEqual([400, 400]);
    expect(plain.body).toBe(`${PLAIN}\n`);
    expect(asKamal.body).toMatch(
      /^Bad Request: host not allowed \(not in this server's allowed hosts\)\. This looks like kamal-proxy's health check of \/health: /,
    );
    expect(logger.messages('warn').at(-1)).toBe(
      `Rejected Host 'evil.example' with 400 (GET /health from 127.0.0.1): ${NOT_LISTED}; fix: add 'evil.example' to the allowed hosts`,
    );
    // An allowed Host with a prober's User-Agent is the app's, as any request.
    const allowed = await rawRequest(t.port, {
      target: '/health',
      headers: [
        ['Host', 'app.example.com'],
        ['User-Agent', 'kube-probe/1.31'],
      ],
    });
    expect(allowed.status).toBe(200);
    expect(t.appCode.requests).toBe(1);
    t.appCode.requests = 0;
  });

  test('the event carries the prober and the fix; every request value in it escaped', async () => {
    await rawRequest(t.port, {
      target: '/health',
      headers: [
        ['Host', '7c7168a662c1:3000'],
        // (A control character never gets this far: Node's parser refuses it with a 400 of its own.)
        ['User-Agent', "kamal-proxy 'x' \u00e9"],
      ],
    });
    expect(events).toEqual([
      {
        type: 'host-rejected',
        status: 400,
        rule: 'not-allowed',
        source: 'Host',
        host: "'7c7168a662c1:3000'",
        reason: NOT_LISTED,
        fix: `add '/health' to the probe paths (${ORIGIN}), or set proxy.healthcheck.path in config/deploy.yml to '/up'`,
        method: 'GET',
        path: '/health',
        peer: '127.0.0.1',
        userAgent: "'kamal-proxy \\'x\\' \\xe9'",
        prober: 'kamal-proxy',
      },
    ]);
    expect(logger.messages('warn')[0]).toContain("(User-Agent 'kamal-proxy \\'x\\' \\xe9')");
  });

  test('a POST is never taken for a probe, whatever its User-Agent', async () => {
    const res = await rawRequest(t.port, {
      method: 'POST',
      target: '/health',
      headers: [
        ['Host', '7c7168a662c1:3000'],
        ['User-Agent', 'kamal-proxy'],
      ],
    });
    expect(res.body).toBe(`${PLAIN}\n`);
    expect(logger.messages('warn')).toEqual([
      `Rejected Host '7c7168a662c1:3000' with 400 (POST /health from 127.0.0.1): ${NOT_LISTED}; fix: add '7c7168a662c1' to the allowed hosts`,
    ]);
  });

  test('a Host without a port against an entry with one is told that only an entry without a port matches it', async () => {
    const res = await rawRequest(t.port, { target: '/', headers: [['Host', 'host.test']] });
    expect(res.status).toBe(400);
    expect(logger.messages('warn')).toEqual([
      `Rejected Host 'host.test' with 400 (GET / from 127.0.0.1): ${NOT_LISTED}; fix: add 'host.test' (any port) to the allowed hosts; it is listed for port 3000 only, and this value has no port (clients leave out their scheme's default port, and proxies may drop it), which only an entry without a port matches`,
    ]);
  });
});
