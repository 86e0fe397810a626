import { setTimeout as sleep } from 'node:timers/promises';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ADAPTERS, type Reply, type RunningApp, get, startApp } from './probe-harness.js';

const indicators = new HealthIndicatorService();

/**
 * An indicator that counts its own runs in flight: how many have begun and not settled, at most,
 * over the whole test. `settleAfterMs` undefined: it never settles (a database under SIGSTOP, pinged
 * without a timeout); a number: it reports "down" after that long (the same, pinged with a timeout).
 */
function countedHungIndicator(settleAfterMs: number | undefined) {
  const counts = { calls: 0, inFlight: 0, maxInFlight: 0 };
  const indicator = async () => {
    counts.calls += 1;
    counts.inFlight += 1;
    counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    try {
      if (settleAfterMs === undefined) await new Promise<never>(() => undefined);
      await sleep(settleAfterMs);
      return indicators.check('database').down({ message: 'timeout' });
    } finally {
      counts.inFlight -= 1;
    }
  };
  return { counts, indicator };
}

/** `count` probes of `path`, one every `spreadMs / count` ms, each on its own connection. */
async function probeSteadily(port: number, path: string, count: number, spreadMs: number): Promise<Reply[]> {
  const replies: Promise<Reply>[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * spreadMs) / count;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    replies.push(get(port, path));
  }
  return Promise.all(replies);
}

describe.each(ADAPTERS)('at most one run of a path’s checks in flight on %s', (adapter) => {
  let running: RunningApp | undefined;
  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });

  const deadline = 300;
  const timedOutBody = `{"status":"error","message":"the health checks did not finish within ${deadline} ms"}`;

  it('1,000 probes over 10 s of an indicator that hangs past the deadline: one run at a time, every probe answered 503', async () => {
    // Each run outlives the deadline five times over, as a ping with its own 1.5 s timeout does on
    // a hung database; probes keep arriving while runs are overdue.
    const settleAfterMs = 5 * deadline;
    const { counts, indicator } = countedHungIndicator(settleAfterMs);
    running = await startApp(adapter, {
      probePaths: ['/up', '/ready'],
      probes: { '/ready': [indicator] },
      probeTimeoutMs: deadline,
      probeDetails: 'full',
    });
    const replies = await probeSteadily(running.port, '/ready', 1000, 10_000);

    expect(counts.maxInFlight).toBe(1);
    expect(replies.filter((reply) => reply.status === 503 && reply.body === timedOutBody)).toHaveLength(1000);
    // Runs were started again after each overdue one settled (at most one per settle period)...
    expect(counts.calls).toBeGreaterThan(1);
    expect(counts.calls).toBeLessThanOrEqual(Math.ceil(10_000 / settleAfterMs) + 1);
    // ...and the probes that came while a run was overdue did not wait for a deadline of their own.
    const answeredAtOnce = replies.filter((reply) => reply.ms < deadline).length;
    expect(answeredAtOnce).toBeGreaterThan(250);
    // Liveness never waited for any of it.
    expect((await get(running.port, '/up')).status).toBe(200);
  }, 60_000);

  it('probes of an indicator that never settles: one run for all of them, each answered with the deadline’s 503', async () => {
    const { counts, indicator } = countedHungIndicator(undefined);
    running = await startApp(adapter, {
      probes: { '/up': [indicator] },
      probeTimeoutMs: deadline,
      probeDetails: 'full',
    });
    const replies = await probeSteadily(running.port, '/up', 200, 2000);
    expect(counts).toEqual({ calls: 1, inFlight: 1, maxInFlight: 1 });
    expect(replies.filter((reply) => reply.status === 503 && reply.body === timedOutBody)).toHaveLength(200);
  }, 30_000);
});
