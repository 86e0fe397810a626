/**
 * `npm run rehearse`: a Kamal deploy of the built demo, rehearsed on loopback with HAProxy playing
 * kamal-proxy, under steady load, and the faults a deploy must survive. Each expected outcome is
 * checked; the exit status is 1 when one is not met. See README.md beside this file.
 *
 * 1. deploy: v1 serves under load; v2 starts on another port and the proxy sends it traffic only
 *    once its health check passes; v1 is drained, then gets SIGTERM. Expected: no failed request,
 *    no non-2xx answer.
 * 2. readiness fails: v2's health check answers 503; it never gets traffic, the deploy is
 *    abandoned after the deploy timeout, and v1 goes on serving without a failure.
 * 3. crash at start-up: v2 exits at once (a bad setting); the same.
 * 4. SIGKILL mid-load: v1 is killed while v1 and v2 both serve; the proxy's retries bound the
 *    failures (to at most one per load connection: what can be in flight on v1).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKamalDeployFile } from '@upgate/config/kamal';
import { DEMO_MAIN, DemoVersion, describeExit, FAIL_READINESS, preload, type VersionOptions } from './demo-version.js';
import { ensureHaproxy, Haproxy, HEALTH_CHECK, RehearsalError, RETRIES, sleep } from './haproxy.js';
import { Load, type LoadFigures } from './load.js';

/** The whole rehearsal must finish within this (the target is under 3 minutes). */
const TIME_LIMIT_MS = 170_000;
/**
 * How long a new version has to pass its health check. Kamal's default deploy_timeout is 30 s;
 * the rehearsal's versions start in 1-3 s, so 8 s keeps the faults quick with room to spare.
 */
const DEPLOY_TIMEOUT_MS = 8_000;
/** Load connections: each has one request in flight at a time. */
const CONNECTIONS = 10;
/** Load before a deploy starts, and after it ends, on the version left serving. */
const STEADY_MS = 1_500;
const PATH = '/api/items';

interface Check {
  readonly scenario: string;
  readonly expectation: string;
  readonly ok: boolean;
  readonly detail: string;
}

interface Row {
  readonly scenario: string;
  readonly load: LoadFigures;
  /** From v2's spawn to its first passing health check, or why there was none. */
  readonly v2Healthy: string;
  /** Requests HAProxy sent to v2. */
  readonly v2Requests: number;
  readonly note: string;
}

interface Stage {
  readonly proxy: Haproxy;
  readonly v1: DemoVersion;
  readonly v2: DemoVersion;
  readonly frontendPort: number;
  readonly host: string;
}

class Rehearsal {
  readonly began = performance.now();
  readonly dir = mkdtempSync(join(tmpdir(), 'upgate-rehearsal-'));
  readonly checks: Check[] = [];
  readonly rows: Row[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly proxies: Haproxy[] = [];
  haproxy = '';

  /** Every process the rehearsal starts is registered here, and ended by `cleanUp`. */
  readonly track = (child: ChildProcess): void => {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  };

  log(line: string): void {
    process.stdout.write(`[${((performance.now() - this.began) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
  }

  expect(scenario: string, expectation: string, ok: boolean, detail: string): void {
    this.checks.push({ scenario, expectation, ok, detail });
    this.log(`${ok ? 'ok  ' : 'FAIL'} ${expectation}: ${detail}`);
  }

  /** Starts v1 and HAProxy (v1 enabled, v2 in maintenance), and waits for both health checks' first verdicts. */
  async stage(scenario: string, v1: Partial<VersionOptions>, v2: Partial<VersionOptions>): Promise<Stage> {
    const dir = join(this.dir, scenario.replace(/[^a-z0-9]+/gi, '-'));
    const [frontendPort, p1, p2] = await freePorts(3);
    const first = new DemoVersion({ name: 'v1', port: p1 as number, dir, ...v1 });
    const second = new DemoVersion({ name: 'v2', port: p2 as number, dir, ...v2 });
    first.start(this.track);
    await first.started();
    const deploy = (version: DemoVersion) => readKamalDeployFile(version.deployFile).proxy;
    const proxy = await Haproxy.start(
      this.haproxy,
      dir,
      {
        frontendPort: frontendPort as number,
        targets: [first, second].map((version) => ({
          name: version.name,
          port: version.port,
          containerId: version.containerId,
          healthPath: deploy(version).healthcheck.path,
          disabled: version === second,
        })),
      },
      this.track,
    );
    this.proxies.push(proxy);
    // HAProxy assumes a server is up until its first check: wait for the first real verdicts.
    await waitFor(`v1's first passing health check and v2's first failing one (${scenario})`, 5000, async () => {
      const stats = await proxy.stats();
      return (
        stats.get('chk_v1/v1')?.checkStatus === 'L7OK' &&
        stats.get('be/v1')?.status === 'UP' &&
        stats.get('chk_v2/v2')?.status.startsWith('DOWN') === true
      );
    });
    const host = deploy(first).hosts[0];
    if (!host) throw new RehearsalError(`${first.deployFile} has no proxy host to send the load to`);
    this.log(
      `${scenario}: v1 serves on :${first.port} (container ${first.containerId}), HAProxy on 127.0.0.1:${frontendPort}; load: ${CONNECTIONS} connections, GET ${PATH}, Host ${host}`,
    );
    return { proxy, v1: first, v2: second, frontendPort: frontendPort as number, host };
  }

  /**
   * Starts v2 and hands it to the proxy at once (admin state ready): from then on only its health
   * check decides whether it gets traffic. Watches until the check passes or the deploy timeout.
   */
  async startV2(s: Stage): Promise<{ healthyAfterMs: number | undefined; requestsBeforeHealthy: number }> {
    s.v2.start(this.track);
    await s.proxy.setState('be/v2', 'ready');
    let requestsBeforeHealthy = 0;
    while (performance.now() - s.v2.startedAt < DEPLOY_TIMEOUT_MS) {
      const stats = await s.proxy.stats();
      const check = stats.get('chk_v2/v2');
      const served = stats.get('be/v2');
      if (check?.checkStatus === 'L7OK' && check.status === 'UP') {
        return { healthyAfterMs: performance.now() - s.v2.startedAt, requestsBeforeHealthy };
      }
      requestsBeforeHealthy = served?.stot ?? 0;
      await sleep(50);
    }
    return { healthyAfterMs: undefined, requestsBeforeHealthy };
  }

  /** Ends every process still running (HAProxy and node) and removes the temporary files. */
  async cleanUp(): Promise<void> {
    await Promise.all(this.proxies.map((proxy) => proxy.stop().catch(() => undefined)));
    const exits = [...this.children].map(
      (child) =>
        new Promise((done) =>
          child.exitCode !== null || child.signalCode !== null ? done(undefined) : child.once('exit', done),
        ),
    );
    for (const child of this.children) child.kill('SIGKILL');
    await Promise.race([Promise.all(exits), sleep(5000)]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((done, fail) => {
          const server = createServer();
          server.once('error', fail);
          server.listen(0, '127.0.0.1', () => done(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

async function waitFor(what: string, timeoutMs: number, condition: () => Promise<boolean>): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > until) throw new RehearsalError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

function loadLine(figures: LoadFigures): string {
  return `${figures.sent} sent, ${figures.completed} answered, ${figures.failed} failed, ${figures.non2xx} non-2xx in ${ms(figures.durationMs)}`;
}

// ---- the scenarios ----

async function deploy(r: Rehearsal): Promise<void> {
  const scenario = 'deploy';
  const s = await r.stage(scenario, {}, {});
  const load = new Load({ port: s.frontendPort, host: s.host, path: PATH, connections: CONNECTIONS, maxSeconds: 60 });
  await sleep(STEADY_MS);
  r.log(`${scenario}: starting v2 on :${s.v2.port} (container ${s.v2.containerId})`);
  const { healthyAfterMs, requestsBeforeHealthy } = await r.startV2(s);
  r.expect(
    scenario,
    'v2 passes its health check within the deploy timeout',
    healthyAfterMs !== undefined,
    healthyAfterMs !== undefined
      ? `after ${ms(healthyAfterMs)}`
      : `not within ${ms(DEPLOY_TIMEOUT_MS)}\n${s.v2.text()}`,
  );
  r.expect(
    scenario,
    'v2 gets no traffic before its health check passes',
    requestsBeforeHealthy === 0,
    `${requestsBeforeHealthy} requests`,
  );
  if (healthyAfterMs === undefined) {
    r.rows.push({
      scenario,
      load: await load.stop(),
      v2Healthy: 'never',
      v2Requests: (await s.proxy.stat('be/v2')).stot,
      note: 'deploy failed',
    });
    return;
  }
  // kamal-proxy: traffic to the new target, the old one drained, then stopped.
  await s.proxy.setState('be/v1', 'drain');
  const drainBegan = performance.now();
  await waitFor('v1 to finish its in-flight requests', 30_000, async () => (await s.proxy.stat('be/v1')).scur === 0);
  const drainedMs = performance.now() - drainBegan;
  const stop = await s.v1.stop('SIGTERM');
  await s.proxy.setState('be/v1', 'maint');
  r.expect(
    scenario,
    'v1 exits 0 on SIGTERM after the drain',
    stop.code === 0 && stop.signal === null,
    `${describeExit(stop)} ${ms(stop.ms)} after SIGTERM (drained in ${ms(drainedMs)})`,
  );
  await sleep(STEADY_MS);
  const figures = await load.stop();
  const stats = await s.proxy.stats();
  const v1Requests = stats.get('be/v1')?.stot ?? 0;
  const v2Requests = stats.get('be/v2')?.stot ?? 0;
  r.expect(
    scenario,
    'no request fails and none gets a non-2xx answer',
    figures.failed === 0 && figures.non2xx === 0,
    `${loadLine(figures)}${figures.errors.length ? `; errors: ${figures.errors.join('; ')}` : ''}`,
  );
  r.expect(
    scenario,
    'both versions served: v1 before the switch, v2 after',
    v1Requests > 0 && v2Requests > 0,
    `v1 ${v1Requests} requests, v2 ${v2Requests}`,
  );
  r.rows.push({
    scenario,
    load: figures,
    v2Healthy: ms(healthyAfterMs),
    v2Requests,
    note: `v1 drained in ${ms(drainedMs)}, exited ${stop.code} ${ms(stop.ms)} after SIGTERM`,
  });
}

/** A v2 that never passes its check: it must get no traffic, and v1 must serve throughout. */
async function abandonedDeploy(
  r: Rehearsal,
  scenario: string,
  v1: Partial<VersionOptions>,
  v2: Partial<VersionOptions>,
  expectedExit: (exit: { code: number | null; signal: NodeJS.Signals | null }) => string | undefined,
): Promise<void> {
  const s = await r.stage(scenario, v1, v2);
  const load = new Load({ port: s.frontendPort, host: s.host, path: PATH, connections: CONNECTIONS, maxSeconds: 60 });
  await sleep(STEADY_MS);
  r.log(
    `${scenario}: starting v2 on :${s.v2.port} (container ${s.v2.containerId}); deploy timeout ${ms(DEPLOY_TIMEOUT_MS)}`,
  );
  const { healthyAfterMs, requestsBeforeHealthy } = await r.startV2(s);
  const check = await s.proxy.stat('chk_v2/v2');
  r.expect(
    scenario,
    'v2 never passes its health check',
    healthyAfterMs === undefined,
    healthyAfterMs === undefined
      ? `last check ${check.checkStatus} ${check.checkCode}`.trim()
      : `it passed after ${ms(healthyAfterMs)}`,
  );
  // The deploy is abandoned: v2 leaves the proxy and is stopped; v1 stays.
  await s.proxy.setState('be/v2', 'maint');
  const exit = s.v2.exited ?? (await s.v2.stop('SIGTERM'));
  const exitProblem = expectedExit(exit);
  const said = refusal(s.v2.text());
  r.expect(
    scenario,
    'v2 ends as expected',
    exitProblem === undefined,
    `${exitProblem ?? describeExit(exit)}${said ? `; it said: ${said}` : ''}`,
  );
  await sleep(STEADY_MS);
  const figures = await load.stop();
  const v2Requests = (await s.proxy.stat('be/v2')).stot;
  const served = await s.proxy.stat('be/v1');
  r.expect(scenario, 'v2 gets no traffic', v2Requests === 0 && requestsBeforeHealthy === 0, `${v2Requests} requests`);
  r.expect(
    scenario,
    'v1 serves throughout: no failure, no non-2xx',
    figures.failed === 0 && figures.non2xx === 0 && served.status === 'UP' && s.v1.exited === undefined,
    `${loadLine(figures)}; v1 ${served.status}, ${served.stot} requests`,
  );
  r.rows.push({
    scenario,
    load: figures,
    v2Healthy: `never (${check.checkStatus} ${check.checkCode})`.replace(' )', ')'),
    v2Requests,
    note: `abandoned after ${ms(DEPLOY_TIMEOUT_MS)}; v2 ${describeExit(exit)}`,
  });
}

async function sigkill(r: Rehearsal): Promise<void> {
  const scenario = 'SIGKILL mid-load';
  const s = await r.stage(scenario, {}, {});
  const { healthyAfterMs } = await r.startV2(s);
  if (healthyAfterMs === undefined) throw new RehearsalError(`${scenario}: v2 did not become healthy:\n${s.v2.text()}`);
  const load = new Load({ port: s.frontendPort, host: s.host, path: PATH, connections: CONNECTIONS, maxSeconds: 60 });
  await sleep(STEADY_MS);
  const killedAt = load.elapsed();
  r.log(`${scenario}: SIGKILL to v1 while v1 and v2 both serve`);
  const kill = await s.v1.stop('SIGKILL');
  const killed = performance.now();
  await waitFor('HAProxy to mark v1 down', 5000, async () => (await s.proxy.stat('be/v1')).status.startsWith('DOWN'));
  const detectedMs = performance.now() - killed;
  await sleep(STEADY_MS);
  const figures = await load.stop();
  const stats = await s.proxy.stats();
  const v1 = stats.get('be/v1');
  const v2 = stats.get('be/v2');
  const bad = figures.failed + figures.non2xx;
  const afterKill = figures.badAtMs.filter((at) => at >= killedAt).length;
  r.expect(scenario, 'v1 was killed', kill.signal === 'SIGKILL', describeExit(kill));
  r.expect(
    scenario,
    `failures bounded by the proxy's retries (at most ${CONNECTIONS}, one per load connection)`,
    bad <= CONNECTIONS,
    `${loadLine(figures)} (${afterKill} after the kill); HAProxy retried ${(v1?.wretr ?? 0) + (v2?.wretr ?? 0)} and redispatched ${(v1?.wredis ?? 0) + (v2?.wredis ?? 0)} times; v1 marked down ${ms(detectedMs)} after the kill`,
  );
  r.rows.push({
    scenario,
    load: figures,
    v2Healthy: ms(healthyAfterMs),
    v2Requests: v2?.stot ?? 0,
    note: `v1 down after ${ms(detectedMs)}; ${v1?.wretr ?? 0} retries, ${v1?.wredis ?? 0} redispatches`,
  });
}

/** The problem lines of a demo that refused to start (`  - SETTING: ...`), joined. */
function refusal(output: string): string {
  return output
    .split('\n')
    .filter((line) => line.startsWith('  - '))
    .map((line) => line.slice(4))
    .join(' / ');
}

function summary(r: Rehearsal): void {
  const header = ['scenario', 'sent', 'failed', 'non-2xx', 'v2 healthy after', 'to v2', 'notes'];
  const rows = r.rows.map((row) => [
    row.scenario,
    String(row.load.sent),
    String(row.load.failed),
    String(row.load.non2xx),
    row.v2Healthy,
    String(row.v2Requests),
    row.note,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const format = (cells: readonly string[]): string =>
    `| ${cells.map((cell, i) => ((i >= 1 && i <= 3) || i === 5 ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join(' | ')} |`;
  const lines = [format(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(format)];
  const failed = r.checks.filter((c) => !c.ok);
  process.stdout.write(
    `\nRehearsal summary (HAProxy as kamal-proxy: checks every ${HEALTH_CHECK.intervalMs / 1000} s, timeout ${HEALTH_CHECK.timeoutMs / 1000} s; retries ${RETRIES.retries}, redispatch, retry-on ${RETRIES.retryOn})\n` +
      `${lines.join('\n')}\n` +
      `${r.checks.length - failed.length} of ${r.checks.length} expected outcomes met; ${failed.length === 0 ? 'all met' : `NOT MET:\n${failed.map((c) => `  - ${c.scenario}: ${c.expectation}: ${c.detail}`).join('\n')}`}\n` +
      `runtime ${((performance.now() - r.began) / 1000).toFixed(1)} s\n`,
  );
}

async function main(): Promise<number> {
  const r = new Rehearsal();
  const abort = (signal: NodeJS.Signals): void => {
    r.log(`${signal}: stopping everything the rehearsal started`);
    void r.cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  const watchdog = setTimeout(() => {
    r.log(`the rehearsal ran past its ${TIME_LIMIT_MS / 1000} s limit: stopping`);
    void r.cleanUp().finally(() => process.exit(1));
  }, TIME_LIMIT_MS);
  watchdog.unref();

  try {
    const { binary, version } = await ensureHaproxy((line) => r.log(line));
    r.haproxy = binary;
    r.log(`${version.trim()}; demo: ${DEMO_MAIN}; deploy timeout ${ms(DEPLOY_TIMEOUT_MS)}`);
    await deploy(r);
    await abandonedDeploy(
      r,
      'readiness fails',
      {},
      // v2's deploy file makes the proxy check readiness (/ready: heap and disk), which fails.
      { editDeploy: (text) => text.replace(/path: \/up\b/, 'path: /ready'), nodeArgs: preload(FAIL_READINESS) },
      // Abandoned, it is stopped like any container: SIGTERM, and a graceful exit.
      (exit) =>
        exit.code === 0 && exit.signal === null
          ? undefined
          : `expected exit 0 after SIGTERM, got ${describeExit(exit)}`,
    );
    await abandonedDeploy(
      r,
      'crash at start-up',
      {},
      // A setting that stops the app before it listens (the bad-settings tests cover the message).
      { env: { ALLOWED_HOSTS: 'https://demo.example.com/' } },
      (exit) =>
        exit.code === 1 && exit.signal === null
          ? undefined
          : `expected exit status 1 at start-up, got ${describeExit(exit)}`,
    );
    await sigkill(r);
  } catch (error) {
    r.expect(
      'rehearsal',
      'runs to the end',
      false,
      error instanceof RehearsalError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error),
    );
  } finally {
    await r.cleanUp();
    clearTimeout(watchdog);
  }
  summary(r);
  return r.checks.every((c) => c.ok) ? 0 : 1;
}

process.exitCode = await main();
