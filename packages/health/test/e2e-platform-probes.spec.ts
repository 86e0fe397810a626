import { execFile } from 'node:child_process';
import { DISALLOWED_HOST_MESSAGE } from '../src/index.js';
import { rawRequest } from './support/raw-http.js';
import { disallowedWithProberHint } from './support/rejection-text.js';
import { ADAPTERS, type AdapterName, startApp, type TestApp } from './support/test-app.js';

/**
 * Health probes as each platform really sends them, against a strict production allowlist that
 * lists none of their Host values: all answered 200. The look-alike paths of spec rule 5 are not
 * probes: they go through the host check like any request.
 */

const PROBES: readonly (readonly [string, readonly (readonly [string, string])[]])[] = [
  [
    'kamal-proxy',
    [
      ['Host', '7c7168a662c1:3000'],
      ['User-Agent', 'kamal-proxy'],
    ],
  ],
  [
    'Kubernetes httpGet',
    [
      ['Host', '10.42.0.17:3000'],
      ['User-Agent', 'kube-probe/1.31'],
      ['Accept', '*/*'],
    ],
  ],
  [
    'AWS ALB',
    [
      ['Host', '172.31.5.9'],
      ['User-Agent', 'ELB-HealthChecker/2.0'],
    ],
  ],
];

const LOOK_ALIKES = ['/up/', '/UP', '//up', '/up;x', '/%75p', '/up/../admin', '/up%3F', '/upx'];

function curl(url: string): Promise<{ code: number | 'ENOENT'; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-f', '-sS', '--max-time', '5', url], { timeout: 10_000 }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT') resolve({ code: 'ENOENT', stdout, stderr });
      else resolve({ code: error === null ? 0 : Number((error as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

describe.each(ADAPTERS)(
  'platform probes over %s, allowlist [app.example.com] in production',
  (adapter: AdapterName) => {
    let t: TestApp;
    beforeAll(async () => {
      // Listening on every interface, as in a container, so that `localhost` (IPv4 or IPv6) reaches it.
      t = await startApp(adapter, {
        health: { allowedHosts: ['app.example.com'], environment: 'production' },
        listenHost: '::',
      });
    });
    afterAll(() => t.close());

    test.each(PROBES)('%s: GET /up gets 200', async (_name, headers) => {
      const res = await rawRequest(t.port, { target: '/up', headers });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
      expect(t.appCode.requests).toBe(0);
    });

    test('Docker HEALTHCHECK: curl -f http://localhost:<port>/up exits 0', async () => {
      const url = `http://localhost:${t.port}/up`;
      const result = await curl(url);
      if (result.code === 'ENOENT') {
        // No curl on this machine: the request it sends, byte for byte.
        const res = await rawRequest(t.port, {
          target: '/up',
          headers: [
            ['Host', `localhost:${t.port}`],
            ['User-Agent', 'curl/8.5.0'],
            ['Accept', '*/*'],
          ],
        });
        expect(res.status).toBe(200);
        expect(res.body).toBe('{"status":"ok"}');
      } else {
        expect(result).toEqual({ code: 0, stdout: '{"status":"ok"}', stderr: '' });
      }
      expect(t.appCode.requests).toBe(0);
    });

    test('an HTTP/1.0 checker without Host gets 200', async () => {
      const res = await rawRequest(t.port, { target: '/up', httpVersion: '1.0' });
      expect(res.status).toBe(200);
      expect(res.body).toBe('{"status":"ok"}');
    });

    test("an HTTP/1.1 checker without Host gets 200 (Node's own 400 for it is turned off; the layer decides)", async () => {
      const probe = await rawRequest(t.port, { target: '/up' });
      expect(probe.status).toBe(200);
      expect(probe.body).toBe('{"status":"ok"}');
      const other = await rawRequest(t.port, { target: '/' });
      expect(other.status).toBe(400);
      expect(other.body).toMatch(/^Bad Request: missing, repeated or malformed host/);
      expect(t.appCode.requests).toBe(0);
    });

    test.each(LOOK_ALIKES)(
      '%s is not a probe: with the platform Host it is rejected, the probe path named',
      async (target) => {
        const res = await rawRequest(t.port, {
          target,
          headers: [
            ['Host', '7c7168a662c1:3000'],
            ['User-Agent', 'kamal-proxy'],
          ],
        });
        expect(res.status).toBe(400);
        expect(res.body).toMatch(disallowedWithProberHint());
        expect(t.appCode.requests).toBe(0);
      },
    );

    test.each(LOOK_ALIKES)('%s is not a probe: with an allowed Host it reaches the app', async (target) => {
      const before = t.appCode.requests;
      const res = await rawRequest(t.port, { target, headers: [['Host', 'app.example.com']] });
      expect(res.status).toBe(200);
      expect(res.body).toBe('app app.example.com');
      expect(t.appCode.requests).toBe(before + 1);
    });

    test.each(['POST', 'PUT', 'OPTIONS'])(
      '%s /up is not a probe: with the platform Host it is rejected',
      async (method) => {
        const before = t.appCode.requests;
        const res = await rawRequest(t.port, { method, target: '/up', headers: [['Host', '7c7168a662c1:3000']] });
        expect(res.status).toBe(400);
        expect(res.body).toBe(`Bad Request: ${DISALLOWED_HOST_MESSAGE}\n`);
        expect(t.appCode.requests).toBe(before);
      },
    );
  },
);
