import './support/inject-under-jest.js';
import { Controller, Get, type INestApplication, Req } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TrustProxy } from '@upgate/config';
import { CheckedHost, DISALLOWED_HOST_MESSAGE, MALFORMED_HOST_MESSAGE } from '../src/index.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, startApp, type TestApp } from './support/test-app.js';

/**
 * One trust for X-Forwarded-Host (issue cases 4 and 5). The app's framework has a trust of its own
 * (Express's `trust proxy`, Fastify's `trustProxy`), set for `req.ip` and `req.protocol`, from which
 * it computes `req.hostname`: wherever it would believe the header from the connection's peer, the
 * gates check it, whatever upgate's `trustProxy` says. And upgate's own `trustProxy` entries written
 * in IPv4-mapped form trust the peer they spell.
 */

const DISALLOWED = `Bad Request: ${DISALLOWED_HOST_MESSAGE}\n`;

@Controller()
class HostnameController {
  /** What a controller would build a reset link from: the framework's hostname, or the checked host. */
  @Get('hostname')
  hostname(@Req() req: { hostname: string }, @CheckedHost() checked: string | undefined): string {
    return `${req.hostname} ${checked}`;
  }
}

/** Sets the framework's own trust as an app does: `app.set('trust proxy')` in main.ts, or Fastify's option. */
async function appTrusting(
  adapter: AdapterName,
  frameworkTrust: boolean | string,
  upgateTrust: TrustProxy,
  logger?: CapturingLogger,
): Promise<TestApp> {
  let counted = 0;
  const t = await startApp(adapter, {
    health: {
      allowedHosts: ['app.example.com', '.example.org'],
      environment: 'production',
      trustProxy: upgateTrust,
      logger,
    },
    controllers: [HostnameController],
    fastify: { trustProxy: frameworkTrust },
    configure: (app: INestApplication) => {
      if (adapter === 'express') (app as NestExpressApplication).set('trust proxy', frameworkTrust);
      app.use((_req: unknown, _res: unknown, next: () => void) => {
        counted++;
        next();
      });
    },
  });
  Object.defineProperty(t.appCode, 'requests', { get: () => counted });
  return t;
}

async function get(t: TestApp, host: string, forwarded?: string): Promise<{ status: number; body: string }> {
  const headers: [string, string][] = [['Host', host]];
  if (forwarded !== undefined) headers.push(['X-Forwarded-Host', forwarded]);
  const res = await rawRequest(t.port, { target: '/hostname', headers });
  return { status: res.status, body: res.body };
}

describe.each(ADAPTERS)('X-Forwarded-Host on %s', (adapter: AdapterName) => {
  describe("the framework trusts every peer, upgate's trustProxy is false", () => {
    let t: TestApp;
    let logger: CapturingLogger;
    beforeAll(async () => {
      logger = new CapturingLogger();
      t = await appTrusting(adapter, true, false, logger);
    });
    afterAll(() => t.close());

    test('an unlisted X-Forwarded-Host beside an allowed Host is rejected before app code', async () => {
      expect(await get(t, 'app.example.com', 'evil.example')).toEqual({ status: 400, body: DISALLOWED });
      expect(await get(t, 'app.example.com', 'www.example.org, evil.example')).toEqual({
        status: 400,
        body: DISALLOWED,
      });
      expect(await get(t, 'app.example.com', 'www.example.org,')).toEqual({
        status: 400,
        body: `${MALFORMED_HOST_MESSAGE}\n`,
      });
      expect(t.appCode.requests).toBe(0);
      expect(logger.messages('warn')[0]).toBe(
        "Rejected X-Forwarded-Host 'evil.example' with 400 (GET /hostname from 127.0.0.1): well-formed but matches no entry of the allowed hosts; fix: add 'evil.example' to the allowed hosts",
      );
    });

    test('a listed one reaches the app: the framework’s hostname is that header, the checked host its normal form', async () => {
      expect(await get(t, 'app.example.com', 'WWW.example.org')).toEqual({
        status: 200,
        body: 'WWW.example.org www.example.org',
      });
    });

    test('Host is checked too: a proxy that rewrote it to an unlisted name is named in the log', async () => {
      expect(await get(t, 'web_1:3000', 'app.example.com')).toEqual({ status: 400, body: DISALLOWED });
      expect(logger.messages('warn').at(-1)).toContain("the trusted proxy sent Host 'web_1'");
    });
  });

  test('the framework trusts other peers only: the header is not believed, hostname is the Host', async () => {
    const t = await appTrusting(adapter, '10.0.0.0/8', false);
    try {
      expect(await get(t, 'app.example.com', 'evil.example')).toEqual({
        status: 200,
        body: 'app.example.com app.example.com',
      });
    } finally {
      await t.close();
    }
  });

  test("upgate's trustProxy alone: checked, though the framework believes only Host", async () => {
    const t = await appTrusting(adapter, false, ['loopback']);
    try {
      expect(await get(t, 'app.example.com', 'evil.example')).toEqual({ status: 400, body: DISALLOWED });
      expect(await get(t, 'app.example.com', 'www.example.org')).toEqual({
        status: 200,
        body: 'app.example.com www.example.org',
      });
    } finally {
      await t.close();
    }
  });

  test('neither trusts it: ignored', async () => {
    const t = await appTrusting(adapter, false, false);
    try {
      expect(await get(t, 'app.example.com', 'evil.example')).toEqual({
        status: 200,
        body: 'app.example.com app.example.com',
      });
      expect(t.appCode.requests).toBe(1);
    } finally {
      await t.close();
    }
  });

  test.each(['::ffff:127.0.0.1', '[::ffff:127.0.0.1]', '::ffff:127.0.0.0/104'])(
    "upgate's trustProxy entry %s, IPv4-mapped, trusts the IPv4 peer it spells",
    async (entry) => {
      const t = await appTrusting(adapter, false, [entry]);
      try {
        expect(await get(t, 'app.example.com', 'evil.example')).toEqual({ status: 400, body: DISALLOWED });
        expect(t.appCode.requests).toBe(0);
      } finally {
        await t.close();
      }
    },
  );
});

test("Express: 'trust proxy' set after the app started is followed", async () => {
  const t = await appTrusting('express', false, false);
  try {
    expect((await get(t, 'app.example.com', 'evil.example')).status).toBe(200);
    (t.app as NestExpressApplication).set('trust proxy', 'loopback');
    expect(await get(t, 'app.example.com', 'evil.example')).toEqual({ status: 400, body: DISALLOWED });
  } finally {
    await t.close();
  }
});

test('Fastify inject() with trustProxy: the header is checked there too', async () => {
  const t = await appTrusting('fastify', true, false);
  try {
    const rejected = await (t.app as NestFastifyApplication).inject({
      method: 'GET',
      url: '/hostname',
      headers: { host: 'app.example.com', 'x-forwarded-host': 'evil.example' },
    });
    expect({ status: rejected.statusCode, body: rejected.body }).toEqual({ status: 400, body: DISALLOWED });
    const allowed = await (t.app as NestFastifyApplication).inject({
      method: 'GET',
      url: '/hostname',
      headers: { host: 'app.example.com', 'x-forwarded-host': 'api.example.org' },
    });
    expect({ status: allowed.statusCode, body: allowed.body }).toEqual({
      status: 200,
      body: 'api.example.org api.example.org',
    });
  } finally {
    await t.close();
  }
});

test('a dual-stack socket: the peer ::ffff:127.0.0.1 is trusted by the entry 127.0.0.1 and by ::ffff:127.0.0.1', async () => {
  for (const entry of ['127.0.0.1', '::ffff:127.0.0.1']) {
    const t = await startApp('express', {
      health: { allowedHosts: ['app.example.com'], environment: 'production', trustProxy: [entry] },
      listenHost: '::',
    });
    try {
      const res = await rawRequest(t.port, {
        target: '/',
        headers: [
          ['Host', 'app.example.com'],
          ['X-Forwarded-Host', 'evil.example'],
        ],
      });
      expect({ entry, status: res.status, body: res.body }).toEqual({ entry, status: 400, body: DISALLOWED });
    } finally {
      await t.close();
    }
  }
});
