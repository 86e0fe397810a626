import type { AddressInfo } from 'node:net';
import { type DynamicModule, type INestApplication, type LoggerService, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { getCheckedHost, HealthModule, type HealthModuleOptions } from '../../src/index.js';

export type AdapterName = 'express' | 'fastify';

/** Both adapters: every HTTP test runs over each (`describe.each(ADAPTERS)`). */
export const ADAPTERS: readonly AdapterName[] = ['express', 'fastify'];

/** Counts what reached the app's own code. */
export class AppCode {
  /** Requests seen by the app's first `app.use()` middleware. */
  requests = 0;
  /** The checked hosts those requests carried, in order. */
  readonly checkedHosts: (string | undefined)[] = [];
}

/** A running test app. */
export interface TestApp {
  readonly app: INestApplication;
  readonly port: number;
  readonly appCode: AppCode;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** The module's options; or a whole module to import instead (`forRootAsync`). */
  readonly health?: HealthModuleOptions | DynamicModule;
  readonly controllers?: Type[];
  readonly providers?: Type[];
  readonly imports?: (Type | DynamicModule)[];
  /**
   * What `main.ts` would do between `NestFactory.create` and `listen`. The default registers the
   * counting middleware that answers every request `200 app <checked host>`.
   */
  readonly configure?: (app: INestApplication, appCode: AppCode) => void | Promise<void>;
  /** Fastify only: serve cleartext HTTP/2 (h2c). */
  readonly http2?: boolean;
  /** Fastify only: the adapter's options (`trustProxy`, ...). */
  readonly fastify?: FastifyAdapterOptions;
  /** @default false (silent) */
  readonly logger?: LoggerService | false;
  /** @default '127.0.0.1' */
  readonly listenHost?: string;
}

/** A counting middleware in `main.ts` style: answers every request itself. */
export function answerFromApp(app: INestApplication, appCode: AppCode): void {
  app.use((req: object, res: { writeHead(s: number, h: object): void; end(b: string): void }) => {
    appCode.requests++;
    const host = getCheckedHost(req);
    appCode.checkedHosts.push(host);
    const body = `app ${host}`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

/** Creates, configures and starts an app on a free port, as `main.ts` would. */
export async function startApp(adapter: AdapterName, options: TestAppOptions = {}): Promise<TestApp> {
  const health = options.health ?? {};
  const healthModule =
    'module' in health ? (health as DynamicModule) : HealthModule.forRoot(health as HealthModuleOptions);

  @Module({
    imports: [healthModule, ...(options.imports ?? [])],
    controllers: options.controllers ?? [],
    providers: options.providers ?? [],
  })
  class TestAppModule {}

  const appCode = new AppCode();
  const app = await NestFactory.create(TestAppModule, createAdapter(adapter, options.http2 === true, options.fastify), {
    logger: options.logger ?? false,
    abortOnError: false,
  });
  await (options.configure ?? answerFromApp)(app, appCode);
  await app.listen(0, options.listenHost ?? '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return { app, port, appCode, close: () => app.close() };
}

/** The Fastify adapter's options a test may give (HTTP/2 has its own flag). */
export type FastifyAdapterOptions = { readonly trustProxy?: boolean | string | string[] };

export function createAdapter(
  adapter: AdapterName,
  http2 = false,
  fastify: FastifyAdapterOptions = {},
): ExpressAdapter | FastifyAdapter<never> {
  if (adapter === 'express') {
    // Express cannot serve HTTP/2: its req/res are node:http's, and Nest's ExpressAdapter has no http2 option.
    if (http2) throw new Error('HTTP/2 runs on Fastify only');
    return new ExpressAdapter();
  }
  return http2
    ? (new FastifyAdapter({ ...fastify, http2: true }) as FastifyAdapter<never>)
    : (new FastifyAdapter({ ...fastify }) as FastifyAdapter<never>);
}

/** Initialises `app` expecting it to refuse to start; closes it and returns what `init()` threw (undefined: it started). */
export async function initFailure(app: INestApplication): Promise<unknown> {
  let failure: unknown;
  try {
    await app.init();
  } catch (error) {
    failure = error;
  }
  await app.close();
  return failure;
}
