// What observing the probes costs a liveness probe (a prebuilt reply): the time ProbeResponder takes
// to answer one, in one process, on a response object that writes nothing (no socket, no kernel,
// no load generator in the figure), with metrics off and no listener, with metrics on, with a
// HealthEvents listener. Not a test: it prints the figures.
//   npm run bench:probe-observers -w @upgate/health   (OBSERVERS_BENCH_CALLS to change)
// The variants alternate round by round; each figure is the median of its rounds.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Registry } from 'prom-client';
import { buildBenchApps } from './build.js';
import { spreadText } from './lib/stats.js';

const CALLS = Number(process.env.OBSERVERS_BENCH_CALLS ?? 2_000_000);
const ROUNDS = 7;

const { nestApp } = await buildBenchApps();
const src = join(nestApp, '../../../src');
const { HealthModule, HealthEvents } = await import(pathToFileURL(join(src, 'index.js')).href);
const { ProbeResponder } = await import(pathToFileURL(join(src, 'probe/probe-responder.js')).href);

/** A response that takes what a probe writes and drops it. */
const drop = () => undefined;
const response = { headersSent: false, writableEnded: false, writeHead: drop, end: drop, destroy: drop };

async function variant(options, withListener) {
  class BenchModule {}
  Module({
    imports: [HealthModule.forRoot({ allowedHosts: ['app.example.com'], environment: 'production', ...options })],
  })(BenchModule);
  const app = await NestFactory.create(BenchModule, new ExpressAdapter(), { logger: false });
  await app.init();
  if (withListener) app.get(HealthEvents).subscribe(() => undefined);
  const responder = app.get(ProbeResponder);
  for (let i = 0; i < CALLS / 10; i++) responder.respond('/up', 'GET', response);
  return { app, responder };
}

const variants = [
  ['metrics off, no listener', await variant({}, false)],
  ['metrics on (a registry of its own)', await variant({ metrics: { registry: new Registry() } }, false)],
  ['a HealthEvents listener', await variant({}, true)],
];
const samples = new Map(variants.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, { responder }] of variants) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) responder.respond('/up', 'GET', response);
    samples.get(name).push(Number(process.hrtime.bigint() - started) / CALLS);
  }
}
console.log(
  `liveness probe answered by ProbeResponder, ns per probe, median (min–max) of ${ROUNDS} rounds of ${CALLS}:`,
);
for (const [name, values] of samples) console.log(`  ${name.padEnd(36)} ${spreadText(values, (ns) => ns.toFixed(1))}`);
for (const [, { app }] of variants) await app.close();
