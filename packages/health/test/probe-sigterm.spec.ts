import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildShutdownFixture } from './fixtures/shutdown-build.js';
import { ADAPTERS, RawConnection, get } from './probe-harness.js';

const SHUTDOWN_DELAY_MS = 300;

interface Fixture {
  child: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  output: () => string;
}

async function startFixture(script: string, adapter: string, mode: string): Promise<Fixture> {
  const child = spawn(process.execPath, [script, adapter, mode], {
    env: { ...process.env, SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS), NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    at: performance.now(),
  }));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /listening (\d+)/.exec(output);
      if (listening) resolve(Number(listening[1]));
    });
    void exited.then(() => reject(new Error(`the fixture exited before listening:\n${output}`)));
  });
  return { child, port, exited, output: () => output };
}

describe('SIGTERM to an app process', () => {
  let script: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    script = await buildShutdownFixture();
  }, 120_000);
  afterEach(() => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  describe.each(ADAPTERS)('on %s', (adapter) => {
    it.each([
      ['with app.enableShutdownHooks()', 'hooks'],
      ['that closes the app and exits once nothing holds its event loop', 'natural'],
    ])(
      '%s: probes answer 503, the in-flight request completes, and the process exits 0 right after',
      async (_name, mode) => {
        const fixture = await startFixture(script, adapter, mode);
        children.push(fixture.child);
        const busy = await RawConnection.open(fixture.port);
        try {
          busy.send('/slow?ms=800');
          const slowReply = busy.response();
          // A readiness probe whose dependency never answers, waiting when the signal comes.
          const waitingProbe = get(fixture.port, '/ready');
          await sleep(100);

          fixture.child.kill('SIGTERM');
          await sleep(50);
          const probe = await get(fixture.port, '/up');
          expect(probe.status).toBe(503);
          expect(probe.body).toBe('{"status":"shutting_down"}');
          const waiting = await waitingProbe;
          expect(waiting.status).toBe(503);
          expect(waiting.body).toBe('{"status":"shutting_down"}');

          const slow = await slowReply;
          const slowEnded = performance.now();
          expect(slow.status).toBe(200);
          expect(slow.body).toBe('slow done');
          expect(slow.headers['connection']).toBe('close');

          const exit = await fixture.exited;
          expect({ code: exit.code, signal: exit.signal, output: fixture.output() }).toEqual({
            code: 0,
            signal: null,
            output: expect.not.stringMatching(/error/i) as unknown as string,
          });
          expect(exit.at - slowEnded).toBeLessThan(1000);
        } finally {
          busy.destroy();
        }
      },
      30_000,
    );

    it('without useProcessExit: the app closes the same way, then Nest re-raises SIGTERM and the process dies of it (exit status 143)', async () => {
      const fixture = await startFixture(script, adapter, 'reraise');
      children.push(fixture.child);
      const busy = await RawConnection.open(fixture.port);
      try {
        busy.send('/slow?ms=400');
        const slowReply = busy.response();
        await sleep(100);
        fixture.child.kill('SIGTERM');
        const slow = await slowReply;
        expect(slow.body).toBe('slow done');
        const exit = await fixture.exited;
        // Killed by the signal: 143 (128 + 15) in a shell, Docker and Kubernetes.
        expect({ code: exit.code, signal: exit.signal }).toEqual({ code: null, signal: 'SIGTERM' });
      } finally {
        busy.destroy();
      }
    }, 30_000);
  });
});
