import type { IncomingMessage, Server } from 'node:http';
import { connect as h2Connect, type Http2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { DISALLOWED_HOST_MESSAGE, MALFORMED_HOST_MESSAGE } from '../src/index.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, answerFromApp, type AppCode, startApp, type TestApp } from './support/test-app.js';

/**
 * Every event that carries a request goes through the gate (issue cases 6, 7 and 8): HTTP/1 CONNECT
 * (to an app with a `connect` listener) and HTTP/2 CONNECT; `Expect: 100-continue` on an app without
 * a `checkContinue` listener, where Node would otherwise write `100 Continue` before any decision;
 * and a request whose header lines reached the server's `maxHeadersCount`, past which Node drops
 * lines unseen.
 */

const DISALLOWED = `Bad Request: ${DISALLOWED_HOST_MESSAGE}\n`;
const MALFORMED = `${MALFORMED_HOST_MESSAGE}\n`;
const HEALTH = { allowedHosts: ['app.example.com'], environment: 'production' } as const;

describe.each(ADAPTERS)('over %s', (adapter: AdapterName) => {
  describe('HTTP/1 CONNECT, to an app with a connect listener', () => {
    let t: TestApp;
    let tunnels: string[];
    beforeAll(async () => {
      tunnels = [];
      t = await startApp(adapter, {
        health: HEALTH,
        configure: (app: INestApplication, appCode: AppCode) => {
          (app.getHttpServer() as Server).on('connect', (req: IncomingMessage, socket: Duplex) => {
            tunnels.push(req.url ?? '');
            socket.end('HTTP/1.1 200 Connection Established\r\n\r\n');
          });
          answerFromApp(app, appCode);
        },
      });
    });
    afterAll(() => t.close());

    const connectTo = (target: string, host: string) =>
      rawRequest(t.port, `CONNECT ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);

    test('a disallowed Host or target gets the raw 400 and the connection closed; the listener never runs', async () => {
      for (const [target, host] of [
        ['evil.example:443', 'evil.example:443'],
        ['evil.example:443', 'app.example.com:443'],
        ['app.example.com:443', 'evil.example:443'],
      ]) {
        const res = await connectTo(target, host);
        expect({ target, host, status: res.status, body: res.body, close: res.headers['connection'] }).toEqual({
          target,
          host,
          status: 400,
          body: DISALLOWED,
          close: 'close',
        });
      }
      const malformed = await connectTo('app.example.com@evil.example:443', 'app.example.com:443');
      expect({ status: malformed.status, body: malformed.body }).toEqual({ status: 400, body: MALFORMED });
      expect(tunnels).toEqual([]);
      expect(t.appCode.requests).toBe(0);
    });

    test('an allowed one reaches the listener', async () => {
      const res = await connectTo('app.example.com:443', 'app.example.com:443');
      expect(res.statusLine).toBe('HTTP/1.1 200 Connection Established');
      expect(tunnels).toEqual(['app.example.com:443']);
    });
  });

  describe('Expect: 100-continue on an app without a checkContinue listener', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp(adapter, { health: HEALTH });
    });
    afterAll(() => t.close());

    const post = (host: string) =>
      rawRequest(t.port, {
        method: 'POST',
        target: '/upload',
        headers: [
          ['Host', host],
          ['Expect', '100-continue'],
          ['Content-Type', 'text/plain'],
        ],
        body: 'a body the client would rather not send for nothing',
      });

    test('a rejected request gets its 400 without a 100 Continue first', async () => {
      for (const [host, body] of [
        ['evil.example', DISALLOWED],
        ['app.example.com:0', MALFORMED],
      ]) {
        const res = await post(host);
        expect(res.raw.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
        expect(res.body).toBe(body);
      }
      expect(t.appCode.requests).toBe(0);
    });

    test('an allowed one gets 100 Continue from Node, as without the gate, then the app’s answer', async () => {
      const res = await post('app.example.com');
      expect(res.raw.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n')).toBe(true);
      expect(res.body).toBe('app app.example.com');
      expect(t.appCode.requests).toBe(1);
    });

    test('a probe with Expect: 100-continue is answered', async () => {
      const res = await rawRequest(t.port, {
        target: '/up',
        headers: [
          ['Host', '10.0.0.5:3000'],
          ['Expect', '100-continue'],
        ],
      });
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: '{"status":"ok"}' });
    });
  });

  describe("header lines at the server's maxHeadersCount", () => {
    let t: TestApp;
    let limited: TestApp;
    let logger: CapturingLogger;
    beforeAll(async () => {
      logger = new CapturingLogger();
      t = await startApp(adapter, { health: { ...HEALTH, logger } });
      limited = await startApp(adapter, {
        health: HEALTH,
        configure: (app: INestApplication, appCode: AppCode) => {
          (app.getHttpServer() as Server).maxHeadersCount = 20;
          answerFromApp(app, appCode);
        },
      });
    });
    afterAll(async () => {
      await t.close();
      await limited.close();
    });

    const lines = (count: number): [string, string][] =>
      Array.from({ length: count }, () => ['X', '1'] as [string, string]);

    test('by default: a second Host past the lines Node keeps is invisible, so the request is malformed', async () => {
      const res = await rawRequest(t.port, {
        target: '/',
        headers: [['Host', 'app.example.com'], ...lines(1100), ['Host', 'evil.example']],
      });
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: MALFORMED });
      expect(t.appCode.requests).toBe(0);
      expect(logger.messages('warn')).toEqual([
        "Rejected Host 'app.example.com' with 400 (GET / from 127.0.0.1): header lines reached the server's limit (maxHeadersCount), past which Node drops them unseen: a second Host may be among them; fix: none in the allowlist; if a real client sends this many header lines, raise the server's maxHeadersCount (0: no limit)",
      ]);
    });

    test('with maxHeadersCount 20: 20 lines or more are malformed, fewer pass; a probe is a probe', async () => {
      const send = (count: number, target = '/') =>
        rawRequest(limited.port, { target, headers: [['Host', 'app.example.com'], ...lines(count - 2)] });
      // `count` lines in all: Host, the fillers, and the client's Connection: close.
      expect((await send(20)).status).toBe(400);
      expect((await send(25)).body).toBe(MALFORMED);
      expect(limited.appCode.requests).toBe(0);
      const fewer = await send(19);
      expect({ status: fewer.status, body: fewer.body }).toEqual({ status: 200, body: 'app app.example.com' });
      expect((await send(40, '/up')).status).toBe(200);
      expect(limited.appCode.requests).toBe(1);
    });
  });
});

describe('HTTP/2 on Fastify (h2c)', () => {
  let t: TestApp;
  let tunnels: string[];
  beforeAll(async () => {
    tunnels = [];
    t = await startApp('fastify', {
      health: HEALTH,
      http2: true,
      configure: (app: INestApplication, appCode: AppCode) => {
        (app.getHttpServer() as Http2Server).on('connect', (req: Http2ServerRequest, res: Http2ServerResponse) => {
          tunnels.push(String(req.headers[':authority']));
          res.writeHead(200);
          res.end('tunnel');
        });
        answerFromApp(app, appCode);
      },
    });
  });
  afterAll(() => t.close());

  /** One HTTP/2 request with exactly these pseudo-headers; `sawContinue` whether a 100 came first. */
  function h2(
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; body: string; sawContinue: boolean }> {
    return new Promise((resolve, reject) => {
      const session = h2Connect(`http://127.0.0.1:${t.port}`);
      session.on('error', reject);
      const stream = session.request(headers, { endStream: body === undefined });
      let status = 0;
      let sawContinue = false;
      const chunks: Buffer[] = [];
      stream.on('continue', () => {
        sawContinue = true;
        stream.end(body);
      });
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', reject);
      stream.on('close', () => {
        session.close();
        resolve({ status, body: Buffer.concat(chunks).toString('latin1'), sawContinue });
      });
    });
  }

  test('CONNECT: a disallowed authority gets the 400, the listener never runs; an allowed one reaches it', async () => {
    expect(await h2({ ':method': 'CONNECT', ':authority': 'evil.example:443' })).toEqual({
      status: 400,
      body: DISALLOWED,
      sawContinue: false,
    });
    expect(tunnels).toEqual([]);
    expect(await h2({ ':method': 'CONNECT', ':authority': 'app.example.com:443' })).toEqual({
      status: 200,
      body: 'tunnel',
      sawContinue: false,
    });
    expect(tunnels).toEqual(['app.example.com:443']);
  });

  test('Expect: 100-continue: no 100 for a rejected stream; an allowed one gets it, then the app', async () => {
    const request = (authority: string) =>
      h2(
        { ':method': 'POST', ':path': '/upload', ':scheme': 'http', ':authority': authority, expect: '100-continue' },
        'x',
      );
    expect(await request('evil.example')).toEqual({ status: 400, body: DISALLOWED, sawContinue: false });
    expect(t.appCode.requests).toBe(0);
    expect(await request('app.example.com')).toEqual({ status: 200, body: 'app app.example.com', sawContinue: true });
    expect(t.appCode.requests).toBe(1);
  });
});
