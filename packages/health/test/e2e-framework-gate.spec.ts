import {
  Controller,
  Get,
  type INestApplication,
  Injectable,
  Module,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import './support/inject-under-jest.js';
import { jest } from '@jest/globals';
import { HostGate } from '../src/gate/host-gate.js';
import {
  AllowHosts,
  CheckedHost,
  DISALLOWED_HOST_MESSAGE,
  HealthModule,
  MALFORMED_HOST_MESSAGE,
  ROUTE_DISALLOWED_HOST_MESSAGE,
} from '../src/index.js';
import { rawRequest, type RawResponse } from './support/raw-http.js';
import { serverlessCall } from './support/serverless.js';
import { ADAPTERS, type AdapterName, createAdapter } from './support/test-app.js';

/**
 * Requests that reach Express or Fastify without passing a server of the app (issue case 3): Fastify's
 * `inject()`, how NestJS's docs test Fastify apps and what aws-lambda-fastify calls in production,
 * and serverless handlers that call the framework's handler with an event turned into a request.
 * The framework gate, first in the framework, decides them as the server gate would: no app code
 * runs for a rejected one (a counting `app.use()` middleware from `main.ts`, a Fastify hook and an
 * encapsulated plugin registered there), and an allowed one carries its checked host.
 */

const DISALLOWED = `Bad Request: ${DISALLOWED_HOST_MESSAGE}\n`;
const MALFORMED = `${MALFORMED_HOST_MESSAGE}\n`;

@Controller()
class AppController {
  @Get('link')
  link(@CheckedHost() host: string | undefined): string {
    return `https://${host}/reset/abc`;
  }

  @Get('admin')
  @AllowHosts('admin.example.com')
  admin(): string {
    return 'admin';
  }
}

/** Counts every request that reached code of the app. */
class AppCode {
  middleware = 0;
  hooks = 0;
}

interface Response {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** One way in: what a test sends a request through. */
type WayIn = (t: InitApp, method: string, path: string, headers: [string, string][]) => Promise<Response>;

interface InitApp {
  readonly adapter: AdapterName;
  readonly app: INestApplication;
  readonly appCode: AppCode;
}

function fromRaw(res: RawResponse): Response {
  return { status: res.status, body: res.body, headers: res.headers };
}

/** serverless-http / @codegenie/serverless-express: the framework's handler called with an event. */
const serverless: WayIn = async (t, method, path, headers) => {
  const instance = t.app.getHttpAdapter().getInstance() as
    ((req: unknown, res: unknown) => void) | { routing(req: unknown, res: unknown): void };
  const handler = typeof instance === 'function' ? instance : instance.routing.bind(instance);
  return fromRaw(await serverlessCall(handler, { method, path, headers }));
};

/** Header lines as inject() takes them: a repeated one as an array, which it sends as so many lines. */
function injectHeaders(lines: readonly (readonly [string, string])[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of lines) {
    const key = name.toLowerCase();
    const had = headers[key];
    headers[key] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return headers;
}

/** Fastify's inject(), light-my-request underneath. */
const inject: WayIn = async (t, method, path, headers) => {
  const res = await (t.app as NestFastifyApplication).inject({
    method: method as 'GET',
    url: path,
    headers: injectHeaders(headers),
  });
  return {
    status: res.statusCode,
    body: res.body,
    headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, v === undefined ? v : String(v)])),
  };
};

/** The app as a serverless `main.ts` starts it: `app.init()`, no `listen()`. */
async function initApp(adapter: AdapterName, providers: Type[] = []): Promise<InitApp> {
  @Module({
    imports: [
      HealthModule.forRoot({ allowedHosts: ['app.example.com', 'admin.example.com'], environment: 'production' }),
    ],
    controllers: [AppController],
    providers,
  })
  class AppModule {}
  const appCode = new AppCode();
  const app = await NestFactory.create(AppModule, createAdapter(adapter), { logger: false, abortOnError: false });
  app.use((_req: unknown, _res: unknown, next: () => void) => {
    appCode.middleware++;
    next();
  });
  if (adapter === 'fastify') {
    const fastifyApp = app as NestFastifyApplication;
    const count = (_request: unknown, _reply: unknown, done: () => void): void => {
      appCode.hooks++;
      done();
    };
    fastifyApp.getHttpAdapter().getInstance().addHook('onRequest', count);
    // An encapsulated plugin, loaded before the module starts: its context exists already.
    await fastifyApp.register(async (child: FastifyInstance) => {
      child.addHook('onRequest', count);
      child.get('/plugin', async () => 'plugin');
    });
  }
  await app.init();
  if (adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return { adapter, app, appCode };
}

const WAYS_IN: readonly (readonly [string, AdapterName, WayIn])[] = [
  ['a serverless call of the Express app', 'express', serverless],
  ['a serverless call of Fastify routing()', 'fastify', serverless],
  ['Fastify inject()', 'fastify', inject],
];

describe.each(WAYS_IN)('%s', (_name, adapter, send) => {
  let t: InitApp;
  beforeAll(async () => {
    t = await initApp(adapter);
  });
  afterAll(() => t.app.close());

  function expectNoAppCode(): void {
    expect(t.appCode).toEqual({ middleware: 0, hooks: 0 });
  }

  test('a disallowed Host gets the gate’s 400 and no app code runs', async () => {
    for (const path of ['/', '/link', '/admin', '/plugin', '/no-such-route']) {
      const res = await send(t, 'GET', path, [['Host', 'evil.example']]);
      expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 400, body: DISALLOWED });
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    expectNoAppCode();
  });

  test('a malformed or repeated Host gets the malformed 400 and no app code runs', async () => {
    for (const headers of [
      [['Host', 'app.example.com@evil.example']],
      [['Host', 'app.example.com:99999']],
      [
        ['Host', 'app.example.com'],
        ['Host', 'evil.example'],
      ],
    ] as [string, string][][]) {
      const res = await send(t, 'POST', '/link', headers);
      expect({ headers, status: res.status, body: res.body }).toEqual({ headers, status: 400, body: MALFORMED });
    }
    expectNoAppCode();
  });

  test('a probe is answered whatever its Host, as at the server, and no app code runs', async () => {
    const res = await send(t, 'GET', '/up?from=lambda', [['Host', '10.0.3.7:8080']]);
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"status":"ok"}');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-powered-by']).toBeUndefined();
    const head = await send(t, 'HEAD', '/up', []);
    expect({ status: head.status, body: head.body }).toEqual({ status: 200, body: '' });
    expectNoAppCode();
  });

  test('an allowed Host reaches the app with its checked host: @CheckedHost(), @AllowHosts()', async () => {
    const link = await send(t, 'GET', '/link', [['Host', 'APP.example.com.']]);
    expect({ status: link.status, body: link.body }).toEqual({
      status: 200,
      body: 'https://app.example.com/reset/abc',
    });
    const admin = await send(t, 'GET', '/admin', [['Host', 'admin.example.com']]);
    expect({ status: admin.status, body: admin.body }).toEqual({ status: 200, body: 'admin' });
    const notAdmin = await send(t, 'GET', '/admin', [['Host', 'app.example.com']]);
    expect(notAdmin.status).toBe(400);
    expect(JSON.parse(notAdmin.body)).toEqual({
      statusCode: 400,
      message: `Bad Request: ${ROUTE_DISALLOWED_HOST_MESSAGE}`,
    });
    expect(t.appCode.middleware).toBe(3);
    if (adapter === 'fastify') {
      const plugin = await send(t, 'GET', '/plugin', [['Host', 'app.example.com']]);
      expect({ status: plugin.status, body: plugin.body }).toEqual({ status: 200, body: 'plugin' });
      // The root hook runs for every request, the plugin's for its own route.
      expect(t.appCode.hooks).toBe(3 + 2);
    }
    t.appCode.middleware = 0;
    t.appCode.hooks = 0;
  });
});

describe('Fastify inject() answers as the server gate does', () => {
  let t: InitApp;
  beforeAll(async () => {
    t = await initApp('fastify');
    await t.app.listen(0, '127.0.0.1');
  });
  afterAll(() => t.app.close());

  test.each([
    ['a probe', 'GET', '/up', 'anything:1'],
    ['a HEAD probe', 'HEAD', '/up', 'anything:1'],
    ['a disallowed Host', 'GET', '/x', 'evil.example'],
    ['a malformed Host', 'GET', '/x', 'a b'],
  ])('%s: status, body and headers equal', async (_what, method, path, host) => {
    const port = (t.app.getHttpServer().address() as { port: number }).port;
    const overSocket = await rawRequest(port, { method, target: path, headers: [['Host', host]] });
    const injected = await inject(t, method, path, [['Host', host]]);
    const shown = (headers: Readonly<Record<string, string | undefined>>) => ({
      'content-type': headers['content-type'],
      'content-length': headers['content-length'],
      'cache-control': headers['cache-control'],
    });
    expect({ status: injected.status, body: injected.body, ...shown(injected.headers) }).toEqual({
      status: overSocket.status,
      body: overSocket.body,
      ...shown(overSocket.headers),
    });
    expect(t.appCode).toEqual({ middleware: 0, hooks: 0 });
  });

  test('without a Host header, inject() sends localhost:80, which the allowlist must name', async () => {
    const res = await t.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/link' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toBe(DISALLOWED);
  });
});

describe('the Express gate stays first', () => {
  /** Another module putting a layer of its own in front of every other, from its onModuleInit. */
  @Injectable()
  class FrontRunner implements OnModuleInit {
    ran = 0;
    constructor(private readonly adapterHost: HttpAdapterHost) {}
    onModuleInit(): void {
      const app = this.adapterHost.httpAdapter.getInstance() as {
        use(fn: unknown): void;
        router: { stack: unknown[] };
      };
      app.use((_req: unknown, _res: unknown, next: () => void) => {
        this.ran++;
        next();
      });
      app.router.stack.unshift(app.router.stack.pop());
    }
  }

  test('a layer another module moves in front during onModuleInit is put behind the gate again', async () => {
    const t = await initApp('express', [FrontRunner]);
    try {
      const res = await serverless(t, 'GET', '/', [['Host', 'evil.example']]);
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: DISALLOWED });
      expect(t.app.get(FrontRunner).ran).toBe(0);
      expect(t.appCode.middleware).toBe(0);
      const allowed = await serverless(t, 'GET', '/link', [['Host', 'app.example.com']]);
      expect(allowed.status).toBe(200);
      expect(t.app.get(FrontRunner).ran).toBe(1);
    } finally {
      await t.app.close();
    }
  });
});

describe('every way into Express passes the gate in front of its router', () => {
  type RouterHandle = (req: unknown, res: unknown, next: (error?: unknown) => void) => void;
  interface ExpressInstance {
    (req: IncomingMessage, res: ServerResponse): void;
    router: RouterHandle & { handle: RouterHandle; stack: unknown[] };
  }
  const instanceOf = (t: InitApp): ExpressInstance => t.app.getHttpAdapter().getInstance() as ExpressInstance;
  /** A plain Express app of the version Nest brings (what `express()` gives). */
  const express = (): ExpressInstance & { use(...args: unknown[]): void } =>
    new ExpressAdapter().getInstance() as ExpressInstance & { use(...args: unknown[]): void };
  /** A GET through `handler` as a serverless handler calls it: its status and body. */
  const getWithHost = async (
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    path: string,
    host: string,
  ): Promise<{ status: number; body: string }> => {
    const { status, body } = await serverlessCall(handler, { method: 'GET', path, headers: [['Host', host]] });
    return { status, body };
  };

  /** Another module wrapping the router's entry in its onModuleInit, as an APM agent might. */
  @Injectable()
  class RouterWrapper implements OnModuleInit {
    ran = 0;
    constructor(private readonly adapterHost: HttpAdapterHost) {}
    onModuleInit(): void {
      const router = (this.adapterHost.httpAdapter.getInstance() as ExpressInstance).router;
      const inner = router.handle;
      router.handle = (req, res, next) => {
        this.ran++;
        inner.call(router, req, res, next);
      };
    }
  }

  test('a Nest app mounted in a parent Express app', async () => {
    const t = await initApp('express');
    try {
      const parent = express();
      parent.use('/api', instanceOf(t));
      expect(await getWithHost(parent, '/api/link', 'evil.example')).toEqual({ status: 400, body: DISALLOWED });
      expect(t.appCode.middleware).toBe(0);
      expect(await getWithHost(parent, '/api/link', 'app.example.com')).toEqual({
        status: 200,
        body: 'https://app.example.com/reset/abc',
      });
    } finally {
      await t.app.close();
    }
  });

  test("the app's router called directly, or mounted in another app", async () => {
    const t = await initApp('express');
    try {
      const { router } = instanceOf(t);
      const direct = (req: IncomingMessage, res: ServerResponse): void =>
        router(req, res, () => res.end('fell through'));
      expect(await getWithHost(direct, '/link', 'evil.example')).toEqual({ status: 400, body: DISALLOWED });
      const other = express();
      other.use(router);
      expect(await getWithHost(other, '/link', 'evil.example')).toEqual({ status: 400, body: DISALLOWED });
      expect(t.appCode.middleware).toBe(0);
    } finally {
      await t.app.close();
    }
  });

  test('a layer put at the front of the stack once the app has started', async () => {
    const t = await initApp('express');
    try {
      let ran = 0;
      const { router } = instanceOf(t);
      (t.app.getHttpAdapter().getInstance() as { use(fn: unknown): void }).use(
        (_req: unknown, _res: unknown, next: () => void) => {
          ran++;
          next();
        },
      );
      router.stack.unshift(router.stack.pop());
      const res = await serverless(t, 'GET', '/link', [['Host', 'evil.example']]);
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: DISALLOWED });
      expect(ran).toBe(0);
      const allowed = await serverless(t, 'GET', '/link', [['Host', 'app.example.com']]);
      expect(allowed.status).toBe(200);
      expect(ran).toBe(1);
    } finally {
      await t.app.close();
    }
  });

  test("another module's wrapper of the router, installed in its onModuleInit, runs behind the gate", async () => {
    const t = await initApp('express', [RouterWrapper]);
    try {
      const res = await serverless(t, 'GET', '/link', [['Host', 'evil.example']]);
      expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: DISALLOWED });
      expect(t.app.get(RouterWrapper).ran).toBe(0);
      const allowed = await serverless(t, 'GET', '/link', [['Host', 'app.example.com']]);
      expect(allowed.body).toBe('https://app.example.com/reset/abc');
      expect(t.app.get(RouterWrapper).ran).toBe(1);
    } finally {
      await t.app.close();
    }
  });

  test('the router is left as it was when the app closes', async () => {
    const t = await initApp('express');
    const { router } = instanceOf(t);
    expect(Object.prototype.hasOwnProperty.call(router, 'handle')).toBe(true);
    await t.app.close();
    expect(Object.prototype.hasOwnProperty.call(router, 'handle')).toBe(false);
  });
});

describe.each(ADAPTERS)('over a gated server of %s', (adapter: AdapterName) => {
  test('a request the server gate decided is not decided again by the framework gate', async () => {
    const t = await initApp(adapter);
    await t.app.listen(0, '127.0.0.1');
    try {
      const decisions = jest.spyOn(t.app.get(HostGate), 'handleRequest');
      const port = (t.app.getHttpServer().address() as { port: number }).port;
      const res = await rawRequest(port, { target: '/link', headers: [['Host', 'App.Example.com']] });
      expect(res.body).toBe('https://app.example.com/reset/abc');
      expect(decisions).toHaveBeenCalledTimes(1);
      await serverless(t, 'GET', '/link', [['Host', 'app.example.com']]);
      expect(decisions).toHaveBeenCalledTimes(2);
    } finally {
      await t.app.close();
    }
  });
});
