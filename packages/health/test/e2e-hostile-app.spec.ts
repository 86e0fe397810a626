import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { type CanActivate, Controller, Get, type INestApplication, VersioningType } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DISALLOWED_HOST_MESSAGE, MALFORMED_HOST_MESSAGE } from '../src/index.js';
import { rawRequest } from './support/raw-http.js';
import { disallowedWithProberHint } from './support/rejection-text.js';
import { ADAPTERS, type AdapterName, type AppCode, startApp, type TestApp } from './support/test-app.js';

/**
 * An app that does everything that used to break probes and host checks when they lived in the
 * app: a global guard denying everything, a global prefix, URI versioning, CORS, static assets with
 * a file named like the probe, and a `main.ts` middleware answering 500 to everything. The layer
 * runs before all of it.
 */

// @fastify/static 10 require()s content-disposition 3, which is ESM-only: Node >= 20.19 loads it
// (require(esm)), jest's CommonJS loader does not before Node 24.9. Jest gets the CommonJS build of the
// same library (2.x, same exports: create, parse), the one express depends on.
const requireFromExpress = createRequire(createRequire(import.meta.url).resolve('express'));
jest.mock('content-disposition', () => requireFromExpress('content-disposition'));

class DenyEverything implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Controller({ path: 'up', version: '1' })
class UpController {
  @Get()
  up(): string {
    return 'controller up';
  }
}

const PLATFORM_HOST = '7c7168a662c1:3000';

describe.each(ADAPTERS)('a hostile app over %s', (adapter: AdapterName) => {
  let t: TestApp;
  let assets: string;

  beforeAll(async () => {
    assets = mkdtempSync(join(tmpdir(), 'upgate-assets-'));
    writeFileSync(join(assets, 'up'), 'static up');
    writeFileSync(join(assets, 'index.html'), '<h1>static index</h1>');
    t = await startApp(adapter, {
      health: { allowedHosts: ['app.example.com'], environment: 'production' },
      controllers: [UpController],
      configure: (app: INestApplication, appCode: AppCode) => {
        app.setGlobalPrefix('api');
        app.enableVersioning({ type: VersioningType.URI });
        app.useGlobalGuards(new DenyEverything());
        app.enableCors({ origin: '*' });
        if (adapter === 'express') (app as NestExpressApplication).useStaticAssets(assets);
        else (app as NestFastifyApplication).useStaticAssets({ root: assets, prefix: '/' });
        app.use((_req: unknown, res: { writeHead(status: number): void; end(body: string): void }) => {
          appCode.requests++;
          res.writeHead(500);
          res.end('hostile middleware');
        });
        // A listener of the server's own: requests with `Expect: 100-continue` go to it instead of
        // 'request' (node emits 'checkContinue' whenever it has a listener).
        (app.getHttpServer() as Server).on('checkContinue', (_req: IncomingMessage, res: ServerResponse) => {
          appCode.requests++;
          res.writeHead(417);
          res.end('hostile checkContinue');
        });
      },
    });
  });
  afterAll(async () => {
    await t.close();
    rmSync(assets, { recursive: true, force: true });
  });

  test.each(['GET', 'HEAD'])(
    'a %s probe gets 200 from the layer, not the static file, the guard or the 500',
    async (method) => {
      const res = await rawRequest(t.port, {
        method,
        target: '/up',
        headers: [
          ['Host', PLATFORM_HOST],
          ['User-Agent', 'kamal-proxy'],
        ],
      });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toBe(method === 'GET' ? '{"status":"ok"}' : '');
      expect(t.appCode.requests).toBe(0);
    },
  );

  test.each([
    ['/', 'evil.com'],
    ['/index.html', 'evil.com'],
    ['/api/v1/up', 'evil.com'],
    ['/up/', PLATFORM_HOST],
    ['/api/v1/up', PLATFORM_HOST],
  ])('GET %s with Host %s gets the layer rejection, not the 500 nor a static file', async (target, host) => {
    const res = await rawRequest(t.port, { target, headers: [['Host', host]] });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    // kamal-proxy's Host (a container id): the body names the probe path too.
    if (host === PLATFORM_HOST) expect(res.body).toMatch(disallowedWithProberHint());
    else expect(res.body).toBe(`Bad Request: ${DISALLOWED_HOST_MESSAGE}\n`);
    expect(t.appCode.requests).toBe(0);
  });

  test('a CORS preflight and a JSON POST with a malformed Host get the layer rejection', async () => {
    const preflight = await rawRequest(t.port, {
      method: 'OPTIONS',
      target: '/api/v1/up',
      headers: [
        ['Host', 'evil.com/x'],
        ['Origin', 'https://evil.com'],
        ['Access-Control-Request-Method', 'POST'],
      ],
    });
    const post = await rawRequest(t.port, {
      method: 'POST',
      target: '/api/v1/up',
      headers: [
        ['Host', 'evil.com@app.example.com'],
        ['Content-Type', 'application/json'],
      ],
      body: '{"not":"parsed"}',
    });
    for (const res of [preflight, post]) {
      expect(res.status).toBe(400);
      expect(res.body).toBe(`${MALFORMED_HOST_MESSAGE}\n`);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    expect(t.appCode.requests).toBe(0);
  });

  test("Expect: 100-continue goes through the layer before the server's checkContinue listener", async () => {
    const expectContinue = (host: string) =>
      rawRequest(t.port, {
        method: 'POST',
        target: '/api/v1/up',
        headers: [
          ['Host', host],
          ['Expect', '100-continue'],
          ['Content-Type', 'text/plain'],
        ],
        body: 'x',
      });
    const rejected = await expectContinue('evil.com');
    expect(rejected.status).toBe(400);
    expect(rejected.body).toBe(`Bad Request: ${DISALLOWED_HOST_MESSAGE}\n`);
    expect(t.appCode.requests).toBe(0);
    const allowed = await expectContinue('app.example.com');
    expect(allowed.status).toBe(417);
    expect(allowed.body).toBe('hostile checkContinue');
    expect(t.appCode.requests).toBe(1);
    t.appCode.requests = 0;
  });

  test('an allowed host reaches the app: the 500 middleware answers', async () => {
    const res = await rawRequest(t.port, { target: '/api/v1/up', headers: [['Host', 'app.example.com']] });
    expect(res.status).toBe(500);
    expect(res.body).toBe('hostile middleware');
    expect(t.appCode.requests).toBe(1);
  });
});
