/**
 * The demo's readiness follows its real PostgreSQL (a throwaway cluster of this file's own): hung
 * under SIGSTOP, stopped, or refusing the password, /ready answers 503 within the probe deadline with
 * at most one ping in flight (counted inside the demo, on its pg pool), /up stays 200, and /ready
 * comes back by itself when the database does. And the maintenance switch of the admin host.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readKamalDeployFile } from '@upgate/config/kamal';
import { PROBE_TIMEOUT_MS } from '../src/health/readiness.js';
import {
  CONTAINER_ID,
  cleanUp,
  DEMO_MAIN,
  deployCopy,
  freePort,
  get,
  type Reply,
  REPO_ROOT,
  withAppPort,
} from './support/demo-process.js';
import { ThrowawayPostgres } from './support/throwaway-postgres.js';

const COUNT_PINGS = join(dirname(fileURLToPath(import.meta.url)), 'support', 'count-pings.mjs');

interface PingCounts {
  pings: number;
  inFlight: number;
  maxInFlight: number;
}

/** The built demo in production, with the ping counter preloaded and an IPC channel to read it. */
class CountedPings {
  private text = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly adminHost: string,
    readonly publicHost: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  }

  static async start(databaseUrl: string): Promise<CountedPings> {
    const port = await freePort();
    const deployFile = deployCopy(withAppPort(port));
    const hosts = readKamalDeployFile(deployFile).proxy.hosts;
    const child = spawn(process.execPath, ['--import', pathToFileURL(COUNT_PINGS).href, DEMO_MAIN], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        NO_COLOR: '1',
        NODE_ENV: 'production',
        DEPLOY_FILE: deployFile,
        DATABASE_URL: databaseUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const demo = new CountedPings(
      child,
      port,
      hosts.find((host) => host.startsWith('admin.')) ?? 'no admin host',
      hosts.find((host) => !host.startsWith('admin.')) ?? 'no public host',
    );
    const until = performance.now() + 30_000;
    while (!demo.text.includes('trusts X-Forwarded-Host from')) {
      if (child.exitCode !== null || performance.now() > until)
        throw new Error(`the demo did not start:\n${demo.text}`);
      await new Promise((done) => setTimeout(done, 50));
    }
    return demo;
  }

  output(): string {
    return this.text;
  }

  pings(): Promise<PingCounts> {
    return new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error('no ping counts from the demo within 10 s')), 10_000);
      const onMessage = (message: { type?: string } & PingCounts): void => {
        if (message.type !== 'pings') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        done({ pings: message.pings, inFlight: message.inFlight, maxInFlight: message.maxInFlight });
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'pings' });
    });
  }

  probe(path: string): Promise<Reply & { ms: number }> {
    const started = performance.now();
    return get(this.port, path, { host: `10.1.2.3:${this.port}`, timeoutMs: 10_000 }).then((reply) => ({
      ...reply,
      ms: performance.now() - started,
    }));
  }

  /** Polls `path` every 250 ms until it answers `status`; the time it took. */
  async until(path: string, status: number, timeoutMs = 20_000): Promise<number> {
    const started = performance.now();
    for (;;) {
      const reply = await this.probe(path);
      if (reply.status === status) return performance.now() - started;
      if (performance.now() - started > timeoutMs)
        throw new Error(`${path} still ${reply.status} ${reply.body} after ${timeoutMs} ms\n${this.text}`);
      await new Promise((done) => setTimeout(done, 250));
    }
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** `count` probes of `path`, one every `everyMs`, concurrently: they overlap a hung ping. */
async function probeFor(demo: CountedPings, path: string, count: number, everyMs: number) {
  const replies: Promise<Reply & { ms: number }>[] = [];
  for (let i = 0; i < count; i++) {
    replies.push(demo.probe(path));
    await new Promise((done) => setTimeout(done, everyMs));
  }
  return Promise.all(replies);
}

/** Within the deadline, with room for a loaded machine to write the answer. */
const ANSWERED_WITHIN_MS = PROBE_TIMEOUT_MS + 1500;

describe('the demo with a PostgreSQL that fails', () => {
  let database: ThrowawayPostgres;
  let demo: CountedPings;

  beforeAll(async () => {
    database = await ThrowawayPostgres.start();
    demo = await CountedPings.start(database.url());
    await demo.until('/ready', 200);
  }, 60_000);

  afterAll(async () => {
    await demo?.stop();
    await database?.destroy();
    cleanUp();
  }, 30_000);

  it('serves its catalogue from PostgreSQL once started: /startup and /ready 200', async () => {
    expect((await demo.probe('/startup')).status).toBe(200);
    const items = await get(demo.port, '/api/items', { host: demo.publicHost });
    expect(items.status).toBe(200);
    expect(JSON.parse(items.body).map((item: { name: string }) => item.name)).toEqual([
      'Kettle',
      'Teapot',
      'Tea towel',
    ]);
  });

  it('hung under SIGSTOP: /ready 503 within the deadline, at most one ping in flight, /up 200; back by itself after SIGCONT', async () => {
    const before = await demo.pings();
    database.hang();
    let replies: (Reply & { ms: number })[];
    let live: Reply & { ms: number };
    try {
      // 8 s of probes every 200 ms, far more often than a ping can finish against a hung server.
      [replies, live] = await Promise.all([probeFor(demo, '/ready', 40, 200), demo.probe('/up')]);
      const items = await get(demo.port, '/api/items', { host: demo.publicHost, timeoutMs: 10_000 });
      expect(items.status).toBe(503);
    } finally {
      database.resume();
    }
    const after = await demo.pings();
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 503));
    expect(Math.max(...replies.map((reply) => reply.ms))).toBeLessThan(ANSWERED_WITHIN_MS);
    expect(after.maxInFlight).toBe(1);
    // Far fewer pings than probes: the runs were shared, none overlapped.
    expect(after.pings - before.pings).toBeLessThan(replies.length / 2);
    expect(live.status).toBe(200);
    expect(live.ms).toBeLessThan(1000);
    await demo.until('/ready', 200);
    expect((await get(demo.port, '/api/items', { host: demo.publicHost })).status).toBe(200);
  }, 60_000);

  it('stopped: /ready 503 within the deadline, /up 200, the API 503; back by itself once it runs again', async () => {
    await database.stopServer();
    try {
      const replies = await probeFor(demo, '/ready', 10, 200);
      expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 503));
      expect(Math.max(...replies.map((reply) => reply.ms))).toBeLessThan(ANSWERED_WITHIN_MS);
      expect((await demo.probe('/up')).status).toBe(200);
      const items = await get(demo.port, '/api/items', { host: demo.publicHost });
      expect(items.status).toBe(503);
      expect(JSON.parse(items.body).message).toBe('the catalogue is unavailable: its database cannot be reached');
    } finally {
      await database.startServer();
    }
    await demo.until('/ready', 200);
    expect((await demo.pings()).maxInFlight).toBe(1);
  }, 60_000);

  it('the maintenance switch of the admin host: /ready 503 with the API still served, /up 200, and back', async () => {
    const admin = (method: string, host = demo.adminHost) => get(demo.port, '/admin/maintenance', { host, method });
    expect((await admin('POST', demo.publicHost)).status).toBe(400);
    expect((await demo.probe('/ready')).status).toBe(200);

    const on = await admin('POST');
    expect(on.status).toBe(200);
    expect(JSON.parse(on.body)).toEqual({ maintenance: true, notReadyFor: ['maintenance'] });
    const ready = await demo.probe('/ready');
    expect(ready).toMatchObject({ status: 503, body: '{"status":"error"}' });
    expect((await demo.probe('/up')).status).toBe(200);
    expect((await demo.probe('/startup')).status).toBe(200);
    expect((await get(demo.port, '/api/items', { host: demo.publicHost })).status).toBe(200);
    expect(demo.output()).toContain('not ready: maintenance; readiness paths answer 503');

    const off = await admin('DELETE');
    expect(JSON.parse(off.body)).toEqual({ maintenance: false, notReadyFor: [] });
    expect((await demo.probe('/ready')).status).toBe(200);
  });
});

describe('the demo with a wrong database password', () => {
  let database: ThrowawayPostgres;
  afterAll(async () => {
    await database?.destroy();
    cleanUp();
  });

  it('starts and serves /up, answers /startup and /ready 503, and says why in its log', async () => {
    database = await ThrowawayPostgres.start();
    const demo = await CountedPings.start(database.url('not-the-password'));
    try {
      expect((await demo.probe('/up')).status).toBe(200);
      for (const path of ['/startup', '/ready']) {
        const reply = await demo.probe(path);
        expect(reply).toMatchObject({ status: 503, body: '{"status":"error"}' });
      }
      const kamal = await get(demo.port, '/up', { host: `${CONTAINER_ID}:${demo.port}` });
      expect(kamal.status).toBe(200);
      expect(demo.output()).toContain(
        `the catalogue's database postgres://upgate@127.0.0.1:${database.port}/upgate_demo cannot be reached (password authentication failed for user "upgate")`,
      );
      expect(demo.output()).not.toContain('not-the-password');
    } finally {
      await demo.stop();
    }
  }, 60_000);
});
