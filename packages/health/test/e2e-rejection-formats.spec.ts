import './support/inject-under-jest.js';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  AllowHosts,
  type HostRejectionDetails,
  MALFORMED_HOST_MESSAGE,
  type RejectionResponseFormat,
} from '../src/index.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { rawRequest, type RawResponse } from './support/raw-http.js';
import { serverlessCall } from './support/serverless.js';
import { ADAPTERS, type AdapterName, type AppCode, startApp, type TestApp } from './support/test-app.js';

/**
 * Each `rejectionResponse` format, byte for byte, on both adapters, through both gates: the server
 * gate over a raw socket (a request, a HEAD, a WebSocket upgrade answered raw), the framework gate
 * through a serverless call of the framework's handler and Fastify's inject(); and what HostGuard's
 * exception carries through Nest's built-in filter.
 */

@Controller('admin')
@AllowHosts('admin.example.com')
class AdminController {
  @Get()
  list(): string {
    return 'admin';
  }
}

const DISALLOWED = "host not allowed (not in this server's allowed hosts).";
const ON_ROUTE = "host not allowed (not in this route's allowed hosts).";
const MALFORMED = MALFORMED_HOST_MESSAGE.slice('Bad Request: '.length);

/** A JSON:API-style error document, as an app with such an API would answer. */
function jsonApiErrors(rejection: HostRejectionDetails) {
  const status = rejection.rule === 'malformed' ? 400 : 421;
  return {
    status,
    headers: { 'content-type': 'application/vnd.api+json', 'x-upgate-rule': rejection.rule },
    body: JSON.stringify({
      errors: [{ status: String(status), code: rejection.rule, detail: rejection.message, host: rejection.host }],
    }),
  };
}

interface Expected {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

interface FormatCase {
  readonly name: string;
  readonly format: RejectionResponseFormat;
  readonly disallowed: Expected;
  readonly malformed: Expected;
  /** What Nest's built-in exception filter sends for HostGuard's exception. */
  readonly guard: { readonly status: number; readonly type: string; readonly body: string };
}

const text = (status: number, phrase: string, message: string): Expected => ({
  status,
  headers: [['content-type', 'text/plain; charset=utf-8']],
  body: `${phrase}: ${message}\n`,
});

const FORMATS: readonly FormatCase[] = [
  {
    name: 'text',
    format: 'text',
    disallowed: text(400, 'Bad Request', DISALLOWED),
    malformed: text(400, 'Bad Request', MALFORMED),
    guard: {
      status: 400,
      type: 'application/json; charset=utf-8',
      body: JSON.stringify({ statusCode: 400, message: `Bad Request: ${ON_ROUTE}` }),
    },
  },
  {
    name: 'json',
    format: 'json',
    disallowed: {
      status: 400,
      headers: [['content-type', 'application/json; charset=utf-8']],
      body: `{"message":"${DISALLOWED}","error":"Bad Request","statusCode":400}`,
    },
    malformed: {
      status: 400,
      headers: [['content-type', 'application/json; charset=utf-8']],
      body: `{"message":"${MALFORMED}","error":"Bad Request","statusCode":400}`,
    },
    // Byte for byte the gates' body: Nest's filter sends the exception's object as it is.
    guard: {
      status: 400,
      type: 'application/json; charset=utf-8',
      body: `{"message":"${ON_ROUTE}","error":"Bad Request","statusCode":400}`,
    },
  },
  {
    name: 'problem+json',
    format: 'problem+json',
    disallowed: {
      status: 400,
      headers: [['content-type', 'application/problem+json']],
      body: `{"type":"about:blank","title":"Bad Request","status":400,"detail":"${DISALLOWED}"}`,
    },
    malformed: {
      status: 400,
      headers: [['content-type', 'application/problem+json']],
      body: `{"type":"about:blank","title":"Bad Request","status":400,"detail":"${MALFORMED}"}`,
    },
    guard: {
      status: 400,
      type: 'application/json; charset=utf-8',
      body: `{"type":"about:blank","title":"Bad Request","status":400,"detail":"${ON_ROUTE}"}`,
    },
  },
  {
    name: 'a function',
    format: jsonApiErrors,
    disallowed: {
      status: 421,
      headers: [
        ['content-type', 'application/vnd.api+json'],
        ['x-upgate-rule', 'not-allowed'],
      ],
      body: `{"errors":[{"status":"421","code":"not-allowed","detail":"${DISALLOWED}","host":"'evil.example'"}]}`,
    },
    malformed: {
      status: 400,
      headers: [
        ['content-type', 'application/vnd.api+json'],
        ['x-upgate-rule', 'malformed'],
      ],
      body: `{"errors":[{"status":"400","code":"malformed","detail":"${MALFORMED}","host":"'bad host'"}]}`,
    },
    guard: {
      status: 421,
      type: 'application/json; charset=utf-8',
      body: `{"errors":[{"status":"421","code":"not-allowed-on-route","detail":"${ON_ROUTE}","host":"'app.example.com'"}]}`,
    },
  },
];

const PHRASES: Record<number, string> = { 400: 'Bad Request', 421: 'Misdirected Request' };

/** The whole response as the server gate writes it (Node adds `Date` after the headers). */
function wire(expected: Expected, head = false): string {
  const lines = [
    `HTTP/1.1 ${expected.status} ${PHRASES[expected.status]}`,
    ...expected.headers.map(([name, value]) => `${name}: ${value}`),
    `content-length: ${Buffer.byteLength(expected.body)}`,
    'cache-control: no-store',
    'connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n${head ? '' : expected.body}`;
}

/** As the upgrade's raw answer writes the same headers, in node's casing. */
function upgradeWire(expected: Expected): string {
  return wire(expected).replace(
    /^([a-z-]+):/gm,
    (_m, name: string) =>
      name.replace(/(^|-)([a-z])/g, (_x, dash: string, letter: string) => dash + letter.toUpperCase()) + ':',
  );
}

function withoutDate(raw: string): string {
  return raw.replace(/\r\nDate: [^\r]*/, '');
}

describe.each(ADAPTERS)('rejection formats over %s', (adapter: AdapterName) => {
  describe.each(FORMATS)('$name', ({ format, disallowed, malformed, guard }) => {
    let t: TestApp;
    let upgrades = 0;
    beforeAll(async () => {
      t = await startApp(adapter, {
        health: {
          allowedHosts: ['app.example.com', 'admin.example.com'],
          environment: 'production',
          rejectionResponse: format,
        },
        controllers: [AdminController],
        configure: (app: INestApplication, appCode: AppCode) => {
          (app.getHttpServer() as Server).on('upgrade', (_req: unknown, socket: Duplex) => {
            upgrades++;
            socket.destroy();
          });
          // Counts what reaches the app, and lets the guarded route answer.
          app.use((_req: unknown, _res: unknown, next: () => void) => {
            appCode.requests++;
            next();
          });
        },
      });
    });
    afterAll(() => t.close());

    test('the server gate, over a raw socket: GET, HEAD, a malformed host', async () => {
      const get = await rawRequest(t.port, { target: '/', headers: [['Host', 'evil.example']] });
      expect(withoutDate(get.raw)).toBe(wire(disallowed));
      const head = await rawRequest(t.port, { method: 'HEAD', target: '/', headers: [['Host', 'evil.example']] });
      expect(withoutDate(head.raw)).toBe(wire(disallowed, true));
      const bad = await rawRequest(t.port, { target: '/', headers: [['Host', 'bad host']] });
      expect(withoutDate(bad.raw)).toBe(wire(malformed));
      expect(t.appCode.requests).toBe(0);
    });

    test('a rejected WebSocket upgrade gets the same response, written raw', async () => {
      const res = await rawRequest(t.port, {
        target: '/socket',
        headers: [
          ['Host', 'evil.example'],
          ['Connection', 'Upgrade'],
          ['Upgrade', 'websocket'],
          ['Sec-WebSocket-Version', '13'],
          ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
        ],
      });
      expect(res.raw).toBe(upgradeWire(disallowed));
      expect(upgrades).toBe(0);
    });

    test('the framework gate, through a serverless call of the framework', async () => {
      const instance = t.app.getHttpAdapter().getInstance() as
        ((req: unknown, res: unknown) => void) | { routing(req: unknown, res: unknown): void };
      const handler = typeof instance === 'function' ? instance : instance.routing.bind(instance);
      const res: RawResponse = await serverlessCall(handler, {
        method: 'GET',
        path: '/',
        headers: [['Host', 'evil.example']],
      });
      expect(withoutDate(res.raw)).toBe(wire(disallowed));
      expect(t.appCode.requests).toBe(0);
    });

    if (adapter === 'fastify') {
      test("the framework gate, through Fastify's inject()", async () => {
        const res = await (t.app as NestFastifyApplication).inject({
          method: 'GET',
          url: '/',
          headers: { host: 'bad host' },
        });
        expect(res.statusCode).toBe(malformed.status);
        expect(res.body).toBe(malformed.body);
        expect(Object.entries(res.headers).filter(([name]) => name !== 'date')).toEqual([
          ...malformed.headers,
          ['content-length', String(Buffer.byteLength(malformed.body))],
          ['cache-control', 'no-store'],
          ['connection', 'close'],
        ]);
      });
    }

    test("HostGuard's exception carries the format through Nest's built-in filter", async () => {
      const res = await rawRequest(t.port, { target: '/admin', headers: [['Host', 'app.example.com']] });
      expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual(guard);
      const allowed = await rawRequest(t.port, { target: '/admin', headers: [['Host', 'admin.example.com']] });
      expect(allowed.body).toBe('admin');
      t.appCode.requests = 0;
    });
  });

  test('a function that returns what cannot be sent is answered in text, and logged once', async () => {
    const logger = new CapturingLogger();
    const t = await startApp(adapter, {
      health: {
        allowedHosts: ['app.example.com'],
        environment: 'production',
        logger,
        rejectionResponse: () => ({ status: 200, body: 'welcome' }),
      },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await rawRequest(t.port, { target: '/', headers: [['Host', `evil${i}.example`]] });
        expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: `Bad Request: ${DISALLOWED}\n` });
      }
      expect(logger.messages('error')).toEqual([
        "the rejectionResponse function returned status 200; a rejection's status is 400 to 599; rejections are answered in the 'text' format instead (logged once)",
      ]);
      expect(t.appCode.requests).toBe(0);
    } finally {
      await t.close();
    }
  });

  test('a function that returns a header that would split the response is refused the same way', async () => {
    const logger = new CapturingLogger();
    const t = await startApp(adapter, {
      health: {
        allowedHosts: ['app.example.com'],
        environment: 'production',
        logger,
        rejectionResponse: () => ({ headers: { 'x-evil': 'a\r\nSet-Cookie: x=1' }, body: 'no' }),
      },
    });
    try {
      const res = await rawRequest(t.port, { target: '/', headers: [['Host', 'evil.example']] });
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.body).toBe(`Bad Request: ${DISALLOWED}\n`);
      expect(logger.messages('error')).toEqual([
        expect.stringMatching(
          /^the rejectionResponse function returned an invalid header \(.*x-evil.*\); rejections are answered in the 'text' format instead \(logged once\)$/,
        ),
      ]);
    } finally {
      await t.close();
    }
  });
});
