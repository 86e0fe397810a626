import dns from 'node:dns';
import { rawRequest } from './support/raw-http.js';
import { startApp, type TestApp } from './support/test-app.js';

/**
 * Fastify's listen() on 'localhost' binds every address the name resolves to, each beyond the first
 * on a server of its own (see src/fastify-extra-bindings.ts). This machine's /etc/hosts maps
 * localhost to 127.0.0.1 alone, as many containers do; most workstations also map it to ::1. So the
 * name is made to resolve to both, for Fastify's own look-up of its extra bindings; the servers and
 * requests are real. (Express, like node:http, binds one address for 'localhost': nothing to test.)
 */
describe('Fastify listening on localhost, which resolves to 127.0.0.1 and ::1', () => {
  const realLookup = dns.lookup;
  let t: TestApp;

  beforeAll(async () => {
    (dns as { lookup: unknown }).lookup = (hostname: string, options: unknown, callback: unknown) => {
      if (
        hostname === 'localhost' &&
        typeof options === 'object' &&
        options !== null &&
        (options as { all?: boolean }).all === true
      ) {
        (callback as (e: null, a: dns.LookupAddress[]) => void)(null, [
          { address: '127.0.0.1', family: 4 },
          { address: '::1', family: 6 },
        ]);
        return;
      }
      return (realLookup as (...args: unknown[]) => void)(hostname, options, callback);
    };
    t = await startApp('fastify', {
      health: { allowedHosts: ['app.example.com'], environment: 'production' },
      listenHost: 'localhost',
    });
  });

  afterAll(async () => {
    (dns as { lookup: unknown }).lookup = realLookup;
    await t?.close();
  });

  test.each(['127.0.0.1', '::1'])(
    'over %s: a disallowed host is rejected before app code, an allowed one reaches it, a probe is answered',
    async (address) => {
      const before = t.appCode.requests;
      const rejected = await rawRequest(t.port, { target: '/', headers: [['Host', 'evil.example']] }, 5000, address);
      expect(rejected.status).toBe(400);
      expect(t.appCode.requests).toBe(before);

      const allowed = await rawRequest(t.port, { target: '/', headers: [['Host', 'app.example.com']] }, 5000, address);
      expect(allowed.status).toBe(200);
      expect(allowed.body).toBe('app app.example.com');
      expect(t.appCode.requests).toBe(before + 1);

      const probe = await rawRequest(
        t.port,
        { target: '/up', headers: [['Host', '7c7168a662c1:3000']] },
        5000,
        address,
      );
      expect(probe.status).toBe(200);
      expect(t.appCode.requests).toBe(before + 1);
    },
  );
});
