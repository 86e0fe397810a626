import type { Server } from 'node:http';
import {
  type BeforeApplicationShutdown,
  ConsoleLogger,
  Controller,
  Get,
  Inject,
  Injectable,
  type INestApplication,
  Module,
  Req,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadSettings, UpgateConfigError } from '@upgate/config';
import request from 'supertest';
import {
  CheckedHost,
  getCheckedHost,
  HealthEvents,
  HealthModule,
  type HealthModuleOptions,
  type HealthOptionsFactory,
} from '../src/index.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, createAdapter, startApp, type TestApp } from './support/test-app.js';

/** The module as a user wires it: forRoot, forRootAsync, app.init() + supertest, bad settings, teardown. */

@Controller()
class HostController {
  @Get('host')
  host(
    @CheckedHost() host: string | undefined,
    @Req() req: { raw?: object },
  ): { decorator?: string; fromRequest?: string; fromRaw?: string } {
    return {
      decorator: host,
      fromRequest: getCheckedHost(req),
      fromRaw: req.raw === undefined ? undefined : getCheckedHost(req.raw),
    };
  }
}

const APP_CONFIG = Symbol('app-config');

/** Stands for `@nestjs/config`'s ConfigModule: settings from a provider of another module. */
@Module({
  providers: [{ provide: APP_CONFIG, useValue: { HOSTS: 'app.example.com, .example.org' } }],
  exports: [APP_CONFIG],
})
class AppConfigModule {}

@Injectable()
class HealthOptionsFromConfig implements HealthOptionsFactory {
  constructor(@Inject(APP_CONFIG) private readonly config: { HOSTS: string }) {}
  createHealthOptions(): HealthModuleOptions {
    return { allowedHosts: this.config.HOSTS.split(',').map((h) => h.trim()), environment: 'production' };
  }
}

/** The exact message a rejected promise carries (jest's `toThrow(string)` only looks for a substring). */
async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a rejection');
}

async function get(port: number, target: string, host: string): Promise<{ status: number; body: string }> {
  const res = await rawRequest(port, { target, headers: [['Host', host]] });
  return { status: res.status, body: res.body };
}

describe.each(ADAPTERS)('HealthModule over %s', (adapter: AdapterName) => {
  test('forRootAsync with a factory injecting another module’s provider', async () => {
    const t = await startApp(adapter, {
      health: HealthModule.forRootAsync({
        imports: [AppConfigModule],
        inject: [APP_CONFIG],
        useFactory: async (config: { HOSTS: string }) => ({
          allowedHosts: config.HOSTS.split(',').map((h) => h.trim()),
          environment: 'production',
        }),
      }),
      controllers: [HostController],
      configure: () => undefined,
    });
    try {
      expect(await get(t.port, '/host', 'www.EXAMPLE.org')).toEqual({
        status: 200,
        body: JSON.stringify(
          adapter === 'express'
            ? { decorator: 'www.example.org', fromRequest: 'www.example.org' }
            : { decorator: 'www.example.org', fromRequest: 'www.example.org', fromRaw: 'www.example.org' },
        ),
      });
      expect((await get(t.port, '/host', 'evil.com')).status).toBe(400);
      expect(await get(t.port, '/up', '10.42.0.17:3000')).toEqual({ status: 200, body: '{"status":"ok"}' });
    } finally {
      await t.close();
    }
  });

  test('forRootAsync with useClass, and with the @upgate/config loader as the factory', async () => {
    const byClass = await startApp(adapter, {
      health: HealthModule.forRootAsync({ imports: [AppConfigModule], useClass: HealthOptionsFromConfig }),
      configure: () => undefined,
      controllers: [HostController],
    });
    const byLoader = await startApp(adapter, {
      health: HealthModule.forRootAsync({
        useFactory: () =>
          loadSettings({
            env: { ALLOWED_HOSTS: 'api.example.com', NODE_ENV: 'production', HEALTH_PROBE_PATHS: '/up,/healthz' },
          }),
      }),
      configure: () => undefined,
      controllers: [HostController],
    });
    try {
      expect((await get(byClass.port, '/host', 'app.example.com')).status).toBe(200);
      expect((await get(byClass.port, '/host', 'api.example.com')).status).toBe(400);
      expect((await get(byLoader.port, '/host', 'api.example.com')).status).toBe(200);
      expect((await get(byLoader.port, '/host', 'app.example.com')).status).toBe(400);
      expect((await get(byLoader.port, '/healthz', '10.0.0.8:3000')).status).toBe(200);
    } finally {
      await byClass.close();
      await byLoader.close();
    }
  });

  test('app.init() + supertest: probes, allowed and rejected hosts, without listen()', async () => {
    @Module({
      imports: [HealthModule.forRoot({ allowedHosts: ['app.example.com'], environment: 'production' })],
      controllers: [HostController],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, createAdapter(adapter), { logger: false, abortOnError: false });
    await app.init();
    if (adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
    const server = app.getHttpServer();
    try {
      await request(server).get('/up').set('Host', '7c7168a662c1:3000').expect(200, { status: 'ok' });
      await request(server).head('/up').set('Host', '7c7168a662c1:3000').expect(200);
      const allowed = await request(server).get('/host').set('Host', 'app.example.com').expect(200);
      expect(allowed.body.decorator).toBe('app.example.com');
      const rejected = await request(server).get('/host').set('Host', 'evil.com').expect(400);
      expect(rejected.text).toBe("Bad Request: host not allowed (not in this server's allowed hosts).\n");
      expect(rejected.headers['content-type']).toBe('text/plain; charset=utf-8');
    } finally {
      await app.close();
    }
  });

  test('a probe is found by its whole path, with or without a query, in origin and absolute form', async () => {
    // '/up' is a prefix of the other probe path and of an ordinary one: only a whole path, or one
    // followed by its query, names a probe.
    const t = await startApp(adapter, {
      health: { allowedHosts: ['app.example.com'], environment: 'production', probePaths: ['/up', '/up2'] },
    });
    const probes: string[] = [];
    t.app.get(HealthEvents).subscribe((event) => {
      if (event.type === 'probe') probes.push(event.path);
    });
    try {
      const targets = ['/up', '/up?from=kamal', '/up2', '/up2?x=/up', 'http://app.example.com/up?y=1', '/up3', '/up/'];
      const answers: Record<string, { status: number; body: string }> = {};
      for (const target of targets) answers[target] = await get(t.port, target, 'app.example.com');
      const probe = { status: 200, body: '{"status":"ok"}' };
      const app = { status: 200, body: 'app app.example.com' };
      expect(answers).toEqual({
        '/up': probe,
        '/up?from=kamal': probe,
        '/up2': probe,
        '/up2?x=/up': probe,
        'http://app.example.com/up?y=1': probe,
        '/up3': app,
        '/up/': app,
      });
      expect(probes).toEqual(['/up', '/up', '/up2', '/up2', '/up']);
      expect(t.appCode.requests).toBe(2);
    } finally {
      await t.close();
    }
  });

  test('bad settings make NestFactory.create() fail with every problem in one UpgateConfigError', async () => {
    @Module({
      imports: [
        HealthModule.forRoot({
          allowedHosts: ['https://app.example.com/', 'example.org'],
          environment: 'production',
          probeTimeoutMs: 0,
          rejectLogWindowMs: -5,
          logger: { log: () => undefined } as never,
        }),
      ],
    })
    class BadModule {}
    const failure = NestFactory.create(BadModule, createAdapter(adapter), { logger: false, abortOnError: false });
    await expect(failure).rejects.toBeInstanceOf(UpgateConfigError);
    expect(await messageOf(failure)).toBe(
      [
        'upgate: invalid settings (4 problems):',
        '  - allowedHosts[0]: "https://app.example.com/" is a URL; write the host alone: "app.example.com"',
        '  - probeTimeoutMs: 0 is not a duration; write a whole number of milliseconds from 1 to 2147483647 (e.g. 3000)',
        '  - rejectLogWindowMs: -5 is not a duration; write a whole number of milliseconds from 1 to 2147483647 (e.g. 60000)',
        "  - logger: an object is not a NestJS LoggerService (it needs log, warn and error methods); pass e.g. new Logger('upgate')",
      ].join('\n'),
    );
  });

  test('an option the module does not know is named, with the one it probably meant', async () => {
    const options = { allowedHost: ['app.example.com'], probeTimeout: 2000, colour: 'blue', environment: 'production' };
    @Module({ imports: [HealthModule.forRoot(options as never)] })
    class TypoModule {}
    expect(
      await messageOf(NestFactory.create(TypoModule, createAdapter(adapter), { logger: false, abortOnError: false })),
    ).toBe(
      [
        'upgate: invalid settings (4 problems):',
        '  - allowed hosts: are empty, which only development allows (environment is "production"); give ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=app.example.com), the allowedHosts option, or proxy.host in a Kamal deploy file (the deployFile option)',
        '  - allowedHost: is not a HealthModule option; did you mean allowedHosts?',
        '  - probeTimeout: is not a HealthModule option; did you mean probeTimeoutMs?',
        '  - colour: is not a HealthModule option; the options are allowedHosts, probePaths, trustProxy, rejectStatus, environment, port, deployFile, destination, probes, readinessPaths, startupPath, probeTimeoutMs, probeCacheMs, probeDetails, shutdownDelayMs, rejectLogWindowMs, logger, rejectionResponse, metrics',
      ].join('\n'),
    );
  });

  test('an empty allowlist outside development fails, naming the settings to give', async () => {
    @Module({ imports: [HealthModule.forRootAsync({ useFactory: () => ({ environment: 'production' }) })] })
    class EmptyModule {}
    expect(
      await messageOf(NestFactory.create(EmptyModule, createAdapter(adapter), { logger: false, abortOnError: false })),
    ).toBe(
      'upgate: invalid settings (1 problem):\n  - allowed hosts: are empty, which only development allows (environment is "production"); give ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=app.example.com), the allowedHosts option, or proxy.host in a Kamal deploy file (the deployFile option)',
    );
  });

  test('the server gate is taken off the server when the app closes', async () => {
    const t = await startApp(adapter, { health: { allowedHosts: ['app.example.com'], environment: 'production' } });
    const server = t.app.getHttpServer() as Server & { requireHostHeader?: boolean };
    expect(Object.hasOwn(server, 'emit')).toBe(true);
    expect(server.requireHostHeader).toBe(false);
    expect(server.listenerCount('checkContinue')).toBe(1);
    await t.close();
    expect(Object.hasOwn(server, 'emit')).toBe(false);
    expect(server.requireHostHeader).toBe(true);
    expect(server.listenerCount('checkContinue')).toBe(0);
  });

  test('while the app shuts down, requests still go through the gate until the server is closed', async () => {
    // A provider that takes a while to release its resources (a database pool): the server still
    // accepts requests meanwhile, after every module's onModuleDestroy.
    @Injectable()
    class SlowPool implements BeforeApplicationShutdown {
      beforeApplicationShutdown(): Promise<void> {
        return new Promise((resolve) => setTimeout(resolve, 400));
      }
    }
    const t = await startApp(adapter, {
      health: { allowedHosts: ['app.example.com'], environment: 'production' },
      providers: [SlowPool],
    });
    const closed = t.close();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const rejected = await get(t.port, '/', 'evil.com');
    const probe = await get(t.port, '/up', '10.42.0.17:3000');
    const allowed = await get(t.port, '/', 'app.example.com');
    await closed;
    expect(rejected).toEqual({
      status: 400,
      body: "Bad Request: host not allowed (not in this server's allowed hosts).\n",
    });
    expect(probe).toEqual({ status: 503, body: '{"status":"shutting_down"}' });
    expect(allowed).toEqual({ status: 200, body: 'app app.example.com' });
    expect(t.appCode.requests).toBe(1);
  });

  test('importing the module twice fails instead of checking every request twice', async () => {
    @Module({ imports: [HealthModule.forRoot({ allowedHosts: ['a.example.com'], environment: 'production' })] })
    class FeatureModule {}
    @Module({
      imports: [FeatureModule, HealthModule.forRoot({ allowedHosts: ['b.example.com'], environment: 'production' })],
    })
    class TwiceModule {}
    const app: INestApplication = await NestFactory.create(TwiceModule, createAdapter(adapter), {
      logger: false,
      abortOnError: false,
    });
    expect(await messageOf(app.init())).toBe(
      'upgate: this HTTP server is gated by another HealthModule already; import HealthModule.forRoot() or forRootAsync() once, in the root module',
    );
    await app.close();
  });

  test('without a logger option, rejections go to the app’s logger with context "upgate"', async () => {
    const appLogger = new CapturingLogger();
    const t = await startApp(adapter, {
      health: { allowedHosts: ['app.example.com'], environment: 'production' },
      logger: appLogger,
    });
    try {
      await rawRequest(t.port, { target: '/', headers: [['Host', 'evil.com']] });
      expect(appLogger.lines.filter((l) => l.level === 'warn')).toEqual([
        {
          level: 'warn',
          context: 'upgate',
          message:
            "Rejected Host 'evil.com' with 400 (GET / from 127.0.0.1): well-formed but matches no entry of the allowed hosts; fix: add 'evil.com' to the allowed hosts",
        },
      ]);
    } finally {
      await t.close();
    }
  });
  test('with Nest\'s own console logger, a rejection prints one readable line under the context "upgate"', async () => {
    // What an operator sees on the default text console: the line, not the fields the record
    // carries for JSON loggers (see test/e2e-structured-logs.spec.ts for those).
    const written: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    let t: TestApp | undefined;
    try {
      t = await startApp(adapter, {
        health: { allowedHosts: ['app.example.com'], environment: 'production' },
        logger: new ConsoleLogger({ colors: false }),
      });
      await rawRequest(t.port, { target: '/', headers: [['Host', 'evil.com']] });
    } finally {
      write.mockRestore();
      await t?.close();
    }
    const warns = written.filter((chunk) => chunk.includes('   WARN '));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatch(
      /^\[Nest\] \d+ {2}- .+ {3}WARN \[upgate\] Rejected Host 'evil\.com' with 400 \(GET \/ from 127\.0\.0\.1\): well-formed but matches no entry of the allowed hosts; fix: add 'evil\.com' to the allowed hosts\n$/,
    );
  });
});

describe('HealthModule without an HTTP server', () => {
  test('a standalone application context starts, and the module says at debug level that the gates are not installed', async () => {
    const logger = new CapturingLogger();
    @Module({
      imports: [HealthModule.forRoot({ allowedHosts: ['app.example.com'], environment: 'production', logger })],
    })
    class WorkerModule {}
    const context = await NestFactory.createApplicationContext(WorkerModule, { logger: false, abortOnError: false });
    await context.init();
    await context.close();
    expect(logger.messages('debug', 'upgate')).toEqual([
      'no HTTP server (a standalone application or a microservice): the host gates are not installed',
    ]);
  });

  test('forRootAsync without a factory, class or existing provider is refused at once', () => {
    expect(() => HealthModule.forRootAsync({})).toThrow(
      'upgate: HealthModule.forRootAsync() needs exactly one of useFactory, useClass or useExisting (got none)',
    );
  });
});
