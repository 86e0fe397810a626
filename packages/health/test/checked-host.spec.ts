import type { AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CheckedHost } from '../src/index.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, createAdapter, startApp } from './support/test-app.js';

/**
 * `@CheckedHost()` is typed `string` and is one: every HTTP request that reaches a route passed a
 * gate, which passes a request on only with its checked host. Where none did (no HealthModule), the
 * decorator throws rather than hand the route `undefined`.
 */

@Controller('reset')
class ResetController {
  @Get()
  link(@CheckedHost() host: string): string {
    return `https://${host.toUpperCase()}/reset/token`;
  }
}

describe.each(ADAPTERS)('@CheckedHost() over %s', (adapter: AdapterName) => {
  test('is the checked host, normalised, on every route', async () => {
    const t = await startApp(adapter, {
      health: { allowedHosts: ['app.example.com'], environment: 'production' },
      controllers: [ResetController],
      configure: () => undefined,
    });
    try {
      const res = await rawRequest(t.port, { target: '/reset', headers: [['Host', 'APP.example.com.:8443']] });
      expect(res.body).toBe('https://APP.EXAMPLE.COM:8443/reset/token');
    } finally {
      await t.close();
    }
  });

  test('without HealthModule it throws, naming the fix, instead of handing the route undefined', async () => {
    @Module({ controllers: [ResetController] })
    class NoHealthModule {}
    const logger = new CapturingLogger();
    const app = await NestFactory.create(NoHealthModule, createAdapter(adapter), { logger, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    try {
      const port = (app.getHttpServer().address() as AddressInfo).port;
      const res = await rawRequest(port, { target: '/reset', headers: [['Host', 'app.example.com']] });
      expect(res.status).toBe(500);
      expect(res.body).not.toContain('undefined');
      expect(logger.lines.filter((line) => line.level === 'error').map((line) => line.message)).toEqual([
        expect.stringContaining(
          'upgate: @CheckedHost() on ResetController.link() found no checked host: no upgate gate decided this request; import HealthModule.forRoot() in the root module',
        ),
      ]);
    } finally {
      await app.close();
    }
  });
});
