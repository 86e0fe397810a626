import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { UpgateConfigError } from '@upgate/config';
import { AllowHosts, HealthModule, HostGuard } from '../src/index.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, createAdapter, initFailure, startApp, type TestApp } from './support/test-app.js';

/**
 * `@AllowHosts()` narrows the app-wide allowlist on a controller or a route, through `HostGuard`,
 * with the same matcher, status, message and log deduplication as the gates.
 */

@Controller('admin')
@AllowHosts('admin.example.com')
class AdminController {
  @Get()
  list(): string {
    return 'admin list';
  }

  @Get('ops')
  @AllowHosts('ops.example.com', '10.0.0.0/8')
  ops(): string {
    return 'ops';
  }
}

@Controller('public')
class PublicController {
  @Get()
  hello(): string {
    return 'public';
  }
}

const NOT_ALLOWED = "host not allowed (not in this server's allowed hosts).";
/** The guard's message names the route's list: the host is in the server's. */
const NOT_ALLOWED_ON_ROUTE = "host not allowed (not in this route's allowed hosts).";

async function get(
  port: number,
  target: string,
  host: string,
): Promise<{ status: number; body: string; type: string | undefined }> {
  const res = await rawRequest(port, { target, headers: [['Host', host]] });
  return { status: res.status, body: res.body, type: res.headers['content-type'] };
}

describe.each(ADAPTERS)('HostGuard and @AllowHosts over %s', (adapter: AdapterName) => {
  describe('default status', () => {
    let t: TestApp;
    let logger: CapturingLogger;
    beforeAll(async () => {
      logger = new CapturingLogger();
      t = await startApp(adapter, {
        health: { allowedHosts: ['.example.com', '10.0.0.0/8'], environment: 'production', logger },
        controllers: [AdminController, PublicController],
        configure: () => undefined,
      });
    });
    afterAll(() => t.close());

    test('a controller answers only for its hosts', async () => {
      expect(await get(t.port, '/admin', 'admin.example.com')).toMatchObject({ status: 200, body: 'admin list' });
      expect(await get(t.port, '/admin', 'ADMIN.example.com.:8443')).toMatchObject({ status: 200, body: 'admin list' });
      expect(await get(t.port, '/admin', 'www.example.com')).toEqual({
        status: 400,
        body: JSON.stringify({ statusCode: 400, message: `Bad Request: ${NOT_ALLOWED_ON_ROUTE}` }),
        type: 'application/json; charset=utf-8',
      });
    });

    test("a route's list replaces its controller's", async () => {
      expect(await get(t.port, '/admin/ops', 'ops.example.com')).toMatchObject({ status: 200, body: 'ops' });
      expect(await get(t.port, '/admin/ops', '10.1.2.3:8080')).toMatchObject({ status: 200, body: 'ops' });
      expect((await get(t.port, '/admin/ops', 'admin.example.com')).status).toBe(400);
    });

    test('routes without @AllowHosts pass; hosts outside the app-wide list never reach the guard', async () => {
      expect(await get(t.port, '/public', 'www.example.com')).toMatchObject({ status: 200, body: 'public' });
      expect(await get(t.port, '/admin', 'evil.com')).toEqual({
        status: 400,
        body: `Bad Request: ${NOT_ALLOWED}\n`,
        type: 'text/plain; charset=utf-8',
      });
    });

    test('a guard rejection is logged once per value, naming the decorator to extend', async () => {
      logger.lines.length = 0;
      await get(t.port, '/admin', 'shop.example.com');
      await get(t.port, '/admin', 'shop.example.com');
      expect(logger.messages('warn')).toEqual([
        "Rejected Host 'shop.example.com' with 400 (GET /admin from 127.0.0.1): well-formed but matches no entry of @AllowHosts() on AdminController.list(); fix: add 'shop.example.com' to @AllowHosts() on AdminController.list()",
      ]);
    });
  });

  test('rejectStatus applies to the guard as to the layer; a global HostGuard lets routes without metadata pass', async () => {
    @Module({
      imports: [HealthModule.forRoot({ allowedHosts: ['.example.com'], environment: 'production', rejectStatus: 403 })],
      controllers: [AdminController, PublicController],
      providers: [{ provide: APP_GUARD, useClass: HostGuard }],
    })
    class GlobalGuardModule {}
    const app = await NestFactory.create(GlobalGuardModule, createAdapter(adapter), {
      logger: false,
      abortOnError: false,
    });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as { port: number }).port;
    try {
      expect(await get(port, '/public', 'www.example.com')).toMatchObject({ status: 200, body: 'public' });
      expect(await get(port, '/admin', 'www.example.com')).toMatchObject({
        status: 403,
        body: JSON.stringify({ statusCode: 403, message: `Forbidden: ${NOT_ALLOWED_ON_ROUTE}` }),
      });
      expect(await get(port, '/admin', 'evil.org')).toMatchObject({ status: 403, body: `Forbidden: ${NOT_ALLOWED}\n` });
      expect(await get(port, '/admin', 'evil.org:0')).toMatchObject({ status: 400 });
    } finally {
      await app.close();
    }
  });

  test('bad @AllowHosts entries make start-up fail, each named with where it was written', async () => {
    @Controller('bad')
    @AllowHosts('https://admin.example.com/', 'ok.example.com')
    class BadController {
      @Get()
      list(): string {
        return 'never';
      }

      @Get('none')
      @AllowHosts()
      none(): string {
        return 'never';
      }
    }
    @Module({
      imports: [HealthModule.forRoot({ allowedHosts: ['.example.com'], environment: 'production' })],
      controllers: [BadController],
    })
    class BadModule {}
    const app = await NestFactory.create(BadModule, createAdapter(adapter), { logger: false, abortOnError: false });
    const failure = await initFailure(app);
    expect(failure).toBeInstanceOf(UpgateConfigError);
    expect((failure as Error).message).toBe(
      [
        'upgate: invalid settings (2 problems):',
        '  - @AllowHosts() on BadController, entry 1: "https://admin.example.com/" is a URL; write the host alone: "admin.example.com"',
        "  - @AllowHosts() on BadController.none(): lists no host; name the hosts this route answers for, e.g. @AllowHosts('admin.example.com')",
      ].join('\n'),
    );
  });
});
