// The NestJS apps the benchmark compares, one process each. Arguments: the adapter ('express' |
// 'fastify') and the variant:
// - 'module': HealthModule.forRoot() answers GET /up; GET /hello is an ordinary route;
// - 'plain': no HealthModule; a controller answers GET /up (so that a spawn has a first 200 to
//   wait for) and GET /hello;
// - 'terminus': the reference, terminus' documented set-up: a controller at GET /up calling
//   HealthCheckService.check([]), and GET /hello.
// It prints "listening <port>" once it serves on 127.0.0.1 (port from PORT, default any free one).
import type { AddressInfo } from 'node:net';
import { Controller, type DynamicModule, Get, Header, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { HealthCheckService as HealthChecks } from '@nestjs/terminus';
import './answer-bench.js';

const [adapter = 'express', variant = 'module'] = process.argv.slice(2);

@Controller()
class HelloController {
  @Get('hello')
  hello(): string {
    return 'hello';
  }
}

@Controller()
class UpController {
  @Get('up')
  @Header('Cache-Control', 'no-store')
  up(): { status: string } {
    return { status: 'ok' };
  }
}

async function rootModule(): Promise<DynamicModule> {
  @Module({})
  class BenchAppModule {}
  if (variant === 'module') {
    // The package as an app installs it (its dist/, which `npm run bench` builds first), imported
    // only here, so that the other variants' start-up pays nothing for it.
    // eslint-disable-next-line @nx/enforce-module-boundaries -- by its name on purpose: the build, not the sources
    const { HealthModule } = await import('@upgate/health');
    return {
      module: BenchAppModule,
      imports: [HealthModule.forRoot({ allowedHosts: ['127.0.0.1', 'localhost'], probePaths: ['/up'] })],
      controllers: [HelloController],
    };
  }
  if (variant === 'terminus') {
    // Loaded only here, so that the other variants pay nothing for it.
    const { HealthCheck, HealthCheckService, TerminusModule } = await import('@nestjs/terminus');
    @Controller()
    class TerminusController {
      constructor(@Inject(HealthCheckService) private readonly health: HealthChecks) {}
      @Get('up')
      @HealthCheck()
      check(): Promise<unknown> {
        return this.health.check([]);
      }
    }
    return { module: BenchAppModule, imports: [TerminusModule], controllers: [TerminusController, HelloController] };
  }
  if (variant === 'plain') {
    return { module: BenchAppModule, controllers: [UpController, HelloController] };
  }
  throw new Error(`unknown variant ${JSON.stringify(variant)}; use 'module', 'plain' or 'terminus'`);
}

const app = await NestFactory.create(
  await rootModule(),
  adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(),
  { logger: false },
);
await app.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1');
const address = (app.getHttpServer() as { address(): AddressInfo }).address();
process.stdout.write(`listening ${address.port}\n`);
