import { Writable } from 'node:stream';
import { jest } from '@jest/globals';
import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import { Logger as PinoNestLogger, LoggerModule } from 'nestjs-pino';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, answerFromApp, type AppCode, startApp } from './support/test-app.js';

/**
 * What a JSON logger receives from the module: the fields of each line, with real nestjs-pino
 * (the app's logger through `app.useLogger()`, as its README sets it up) and with Nest's own
 * ConsoleLogger in JSON mode, on both adapters. (The text console's one readable line:
 * test/e2e-module.spec.ts.)
 */

/** Every JSON line pino writes. nestjs-pino keeps one pino instance per process: one stream per file. */
const pinoLines: string[] = [];
const pinoStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') pinoLines.push(line);
    done();
  },
});

const REJECTED_LINE =
  "Rejected Host 'evil.example' with 400 (GET /x?y=1 from 127.0.0.1): well-formed but matches no entry of the allowed hosts; fix: add 'evil.example' to the allowed hosts";

function parsed(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

const failingCheck = (): Promise<never> => Promise.reject(new Error('pool exhausted'));

describe.each(ADAPTERS)('structured log lines over %s', (adapter: AdapterName) => {
  test('nestjs-pino gets the fields of a rejection, the start-up line and an error with its stack, under context "upgate"', async () => {
    pinoLines.length = 0;
    const t = await startApp(adapter, {
      health: {
        allowedHosts: ['app.example.com'],
        environment: 'production',
        probes: { '/ready': [failingCheck] },
      },
      imports: [LoggerModule.forRoot({ pinoHttp: [{ level: 'debug', autoLogging: false }, pinoStream] })],
      configure: (app: INestApplication, appCode: AppCode) => {
        app.useLogger(app.get(PinoNestLogger));
        answerFromApp(app, appCode);
      },
    });
    try {
      await rawRequest(t.port, { target: '/x?y=1', headers: [['Host', 'evil.example']] });
      expect((await rawRequest(t.port, { target: '/ready' })).status).toBe(503);
    } finally {
      await t.close();
    }
    const upgate = parsed(pinoLines).filter((record) => record['context'] === 'upgate');
    // pino writes a record's `msg` once: the line, not a second key from an extra argument.
    for (const line of pinoLines.filter((l) => l.includes('"context":"upgate"'))) {
      expect(line.match(/"msg":/g)).toHaveLength(1);
    }
    const rejected = upgate.find((record) => record['type'] === 'host-rejected');
    expect(rejected).toEqual({
      level: 40,
      time: expect.any(Number),
      pid: process.pid,
      hostname: expect.any(String),
      context: 'upgate',
      type: 'host-rejected',
      status: 400,
      rule: 'not-allowed',
      source: 'Host',
      host: "'evil.example'",
      reason: 'well-formed but matches no entry of the allowed hosts',
      fix: "add 'evil.example' to the allowed hosts",
      method: 'GET',
      path: '/x?y=1',
      peer: '127.0.0.1',
      msg: REJECTED_LINE,
    });
    const startup = upgate.find((record) => record['type'] === 'startup');
    expect(startup).toMatchObject({
      level: 30,
      probes: [
        { path: '/up', kind: 'liveness', checks: 0 },
        { path: '/ready', kind: 'readiness', checks: 1 },
      ],
      allowedHosts: 1,
      allowedHostsFrom: 'the allowedHosts option',
      rejectStatus: 400,
      rejectionResponse: 'text',
      metrics: false,
      msg: 'probe paths /up (liveness), /ready (readiness, 1 check); 1 allowed host from the allowedHosts option; X-Forwarded-Host believed from no one; a rejected host gets 400 (text)',
    });
    const threw = upgate.find((record) => record['type'] === 'probe-state');
    expect(threw).toMatchObject({
      level: 50,
      path: '/ready',
      kind: 'readiness',
      state: 'error',
      detail: 'a health indicator threw: pool exhausted',
      err: { type: 'Error', message: 'pool exhausted', stack: expect.stringContaining('Error: pool exhausted') },
      msg: '/ready (readiness): a health indicator threw instead of reporting "down"; answering 503',
    });
    // terminus' own line is silenced; every line of the module is under one context.
    expect(pinoLines.filter((line) => line.includes('Health Check has failed'))).toEqual([]);
    expect(pinoLines.filter((line) => line.includes('HealthProbe'))).toEqual([]);
  });

  test("Nest's ConsoleLogger in JSON mode gets the fields in its message", async () => {
    const written: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const t = await startApp(adapter, {
        health: { allowedHosts: ['app.example.com'], environment: 'production' },
        logger: new ConsoleLogger({ json: true }),
      });
      await rawRequest(t.port, { target: '/x?y=1', headers: [['Host', 'evil.example']] });
      await t.close();
    } finally {
      write.mockRestore();
    }
    const records = written
      .flatMap((chunk) => chunk.split('\n').filter((line) => line !== ''))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const rejected = records.find(
      (record) => (record['message'] as { type?: string } | undefined)?.type === 'host-rejected',
    );
    expect(rejected).toMatchObject({
      level: 'warn',
      context: 'upgate',
      message: {
        type: 'host-rejected',
        status: 400,
        rule: 'not-allowed',
        host: "'evil.example'",
        path: '/x?y=1',
        peer: '127.0.0.1',
        msg: REJECTED_LINE,
      },
    });
  });
});
