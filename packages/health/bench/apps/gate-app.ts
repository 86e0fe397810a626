// The app of the framework gate's benchmark (framework-gate.bench.js). Arguments: the adapter
// ('express' | 'fastify') and 'with' or 'without' the framework gate. Both have the HealthModule
// and its server gate; 'without' takes the framework gate out after app.init(), before the
// framework is ready (Fastify fixes its routes' hooks then), so that the two differ by it alone.
// GET /hello is an ordinary route. Prints "listening <port>" once it serves on 127.0.0.1; asked
// 'cpu' over the IPC channel, it answers its process.cpuUsage() (microseconds, off the request path).
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { FrameworkGate } from '../../src/gate/framework-gate.js';
import { HealthModule } from '../../src/index.js';

const [adapter = 'express', variant = 'with'] = process.argv.slice(2);
if (variant !== 'with' && variant !== 'without') throw new Error(`unknown variant ${variant}; use 'with' or 'without'`);

@Controller()
class HelloController {
  @Get('hello')
  hello(): string {
    return 'hello';
  }
}

@Module({
  imports: [HealthModule.forRoot({ allowedHosts: ['127.0.0.1'], probePaths: ['/up'] })],
  controllers: [HelloController],
})
class GateBenchModule {}

const app = await NestFactory.create(
  GateBenchModule,
  adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(),
  { logger: false },
);
await app.init();
if (variant === 'without') app.get(FrameworkGate).onApplicationShutdown();
await app.listen(0, '127.0.0.1');
const address = (app.getHttpServer() as { address(): AddressInfo }).address();
process.stdout.write(`listening ${address.port}\n`);
process.on('message', (message) => {
  if (message === 'cpu') process.send?.(process.cpuUsage());
});
