/**
 * HAProxy (Debian's package) playing kamal-proxy's part in the rehearsal: it health-checks each
 * target as kamal-proxy does (`GET <path>`, `Host: <container-id>:<port>`, `User-Agent: kamal-proxy`,
 * every second, 5 s timeout) and sends traffic to a target only while its check passes; the runtime
 * API (a stats socket) enables, drains and disables targets.
 *
 * One detail of the mapping: kamal-proxy checks each target with that target's own container id in
 * Host, but HAProxy's check request is written per backend, not per server. So every version gets
 * a check-only backend (`chk_<name>`) with its own request, and the serving backend's server
 * `track`s it: it is up exactly when that check passes, and its admin state (ready, drain, maint)
 * stays ours to set.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a rehearsal step could not do, said so that someone can fix it. */
export class RehearsalError extends Error {
  override readonly name = 'RehearsalError';
}

/** How HAProxy checks and retries, as printed in the summary. */
export const HEALTH_CHECK = { intervalMs: 1000, timeoutMs: 5000 } as const;
export const RETRIES = { retries: 3, retryOn: 'conn-failure empty-response response-timeout' } as const;

export interface Target {
  /** Server name in the backends: `v1`, `v2`. */
  readonly name: string;
  readonly port: number;
  /** The container id kamal-proxy would put in Host (12 hex characters). */
  readonly containerId: string;
  /** The health-check path (the target's `proxy.healthcheck.path`). */
  readonly healthPath: string;
  /** Starts in maintenance (a version not deployed yet). */
  readonly disabled: boolean;
}

/** One server's line of `show stat`. */
export interface ServerStat {
  /** UP, DOWN, DRAIN, MAINT, "DOWN 1/2", "MAINT (via chk_v2/v2)", ... */
  readonly status: string;
  /** Sessions now. */
  readonly scur: number;
  /** Sessions in all. */
  readonly stot: number;
  /** Retries and redispatches (on the serving backend's servers). */
  readonly wretr: number;
  readonly wredis: number;
  /** Last check's status (L7OK, L7STS, L4CON, ...) and HTTP code. */
  readonly checkStatus: string;
  readonly checkCode: string;
}

/** Finds HAProxy, installing Debian's package where it is missing and this is root. Returns its version line. */
export async function ensureHaproxy(log: (line: string) => void): Promise<{ binary: string; version: string }> {
  const found = await findHaproxy();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new RehearsalError(
      'HAProxy is not installed, and installing it needs root. Install it, then run the rehearsal again:\n' +
        '  sudo apt-get update && sudo apt-get install -y haproxy        (Debian/Ubuntu; HAProxy 2.6 or later)',
    );
  }
  log("HAProxy is missing: installing Debian's package (apt-get install -y haproxy)");
  const apt = {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  };
  try {
    await run('apt-get', ['install', '-y', '-q', 'haproxy'], apt);
  } catch {
    // A fresh machine's package lists may not know the package yet.
    await run('apt-get', ['update', '-q'], apt);
    await run('apt-get', ['install', '-y', '-q', 'haproxy'], apt);
  }
  const installed = await findHaproxy();
  if (!installed)
    throw new RehearsalError(
      'apt-get installed haproxy, but no haproxy binary was found on PATH, /usr/sbin or /usr/local/sbin',
    );
  return installed;
}

async function findHaproxy(): Promise<{ binary: string; version: string } | undefined> {
  const candidates = ['haproxy', '/usr/sbin/haproxy', '/usr/local/sbin/haproxy'];
  for (const binary of candidates) {
    if (binary.startsWith('/') && !existsSync(binary)) continue;
    try {
      const { stdout } = await run(binary, ['-v'], { timeout: 10_000 });
      const version = stdout.split('\n')[0] ?? stdout;
      const match = /version (\d+)\.(\d+)/.exec(version);
      if (match && (Number(match[1]) > 2 || (Number(match[1]) === 2 && Number(match[2]) >= 2)))
        return { binary, version };
      throw new RehearsalError(
        `${version.trim()} is too old: the rehearsal needs HAProxy 2.2 or later (http-check send); Debian 12 has 2.6`,
      );
    } catch (error) {
      if (error instanceof RehearsalError) throw error;
    }
  }
  return undefined;
}

/** The configuration: a loopback frontend, the serving backend `be`, and one check backend per target. */
export function haproxyConfig(options: { frontendPort: number; socket: string; targets: readonly Target[] }): string {
  const { frontendPort, socket, targets } = options;
  const lines = [
    'global',
    `  stats socket ${socket} mode 600 level admin`,
    // Health-check transitions, on stdout; requests are not logged (see `no log` in the frontend).
    '  log stdout format raw local0 info',
    'defaults',
    '  mode http',
    '  log global',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    `  timeout check ${HEALTH_CHECK.timeoutMs / 1000}s`,
    // A request whose server connection fails, or dies before an answer, is tried again, the last
    // time on another server: this is what bounds the failures when a version dies mid-load.
    `  retries ${RETRIES.retries}`,
    '  option redispatch 1',
    `  retry-on ${RETRIES.retryOn}`,
    'frontend fe',
    `  bind 127.0.0.1:${frontendPort}`,
    '  no log',
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...targets.map(
      (t) => `  server ${t.name} 127.0.0.1:${t.port} track chk_${t.name}/${t.name}${t.disabled ? ' disabled' : ''}`,
    ),
  ];
  for (const t of targets) {
    lines.push(
      `backend chk_${t.name}`,
      '  option httpchk',
      `  http-check send meth GET uri ${t.healthPath} ver HTTP/1.1 hdr Host ${t.containerId}:${t.port} hdr User-Agent kamal-proxy`,
      // kamal-proxy's healthy: a 2xx answer.
      '  http-check expect status 200-299',
      `  server ${t.name} 127.0.0.1:${t.port} check inter ${HEALTH_CHECK.intervalMs / 1000}s fall 1 rise 1`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A running HAProxy with its runtime API. */
export class Haproxy {
  private output = '';
  private exitCode: number | null | undefined;
  readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly socket: string,
  ) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => (this.output += chunk));
    child.stderr?.on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((done) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        done();
      }),
    );
  }

  /** Writes the configuration into `dir`, checks it, and starts HAProxy in the foreground. */
  static async start(
    binary: string,
    dir: string,
    options: { frontendPort: number; targets: readonly Target[] },
    track: (child: ChildProcess) => void,
  ): Promise<Haproxy> {
    const socket = join(dir, 'haproxy.sock');
    const config = join(dir, 'haproxy.cfg');
    writeFileSync(config, haproxyConfig({ ...options, socket }));
    try {
      await run(binary, ['-c', '-q', '-f', config], { timeout: 10_000 });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new RehearsalError(
        `HAProxy refused the rehearsal's configuration (${config}):\n${stdout ?? ''}${stderr ?? ''}`,
      );
    }
    const child = spawn(binary, ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    const proxy = new Haproxy(child, socket);
    const until = performance.now() + 5000;
    for (;;) {
      if (proxy.exitCode !== undefined)
        throw new RehearsalError(`HAProxy exited at start-up (status ${proxy.exitCode}):\n${proxy.output}`);
      try {
        await proxy.command('show info');
        return proxy;
      } catch {
        if (performance.now() > until)
          throw new RehearsalError(`HAProxy's runtime API (${socket}) did not answer within 5 s:\n${proxy.output}`);
        await sleep(50);
      }
    }
  }

  /** Sends one runtime API command and returns its answer. */
  command(line: string): Promise<string> {
    return new Promise((done, fail) => {
      const client = connect(this.socket);
      let answer = '';
      client.setEncoding('utf8');
      client.on('data', (chunk: string) => (answer += chunk));
      client.on('error', fail);
      client.on('end', () => done(answer));
      client.setTimeout(5000, () => client.destroy(new Error(`no answer to "${line}" within 5 s`)));
      client.end(`${line}\n`);
    });
  }

  /** `set server <backend>/<server> state ready|drain|maint`; fails if HAProxy answers anything but nothing. */
  async setState(server: string, state: 'ready' | 'drain' | 'maint'): Promise<void> {
    const answer = (await this.command(`set server ${server} state ${state}`)).trim();
    if (answer !== '') throw new RehearsalError(`HAProxy refused "set server ${server} state ${state}": ${answer}`);
  }

  /** Every server's line of `show stat`, by `backend/server`. */
  async stats(): Promise<Map<string, ServerStat>> {
    const csv = await this.command('show stat');
    const [header, ...rows] = csv.trim().split('\n');
    const names = (header ?? '').replace(/^# /, '').split(',');
    const column = (cells: string[], name: string): string => cells[names.indexOf(name)] ?? '';
    const stats = new Map<string, ServerStat>();
    for (const row of rows) {
      const cells = row.split(',');
      const server = column(cells, 'svname');
      if (server === 'FRONTEND' || server === 'BACKEND') continue;
      stats.set(`${column(cells, 'pxname')}/${server}`, {
        status: column(cells, 'status'),
        scur: Number(column(cells, 'scur')),
        stot: Number(column(cells, 'stot')),
        wretr: Number(column(cells, 'wretr') || 0),
        wredis: Number(column(cells, 'wredis') || 0),
        checkStatus: column(cells, 'check_status'),
        checkCode: column(cells, 'check_code'),
      });
    }
    return stats;
  }

  async stat(server: string): Promise<ServerStat> {
    const stat = (await this.stats()).get(server);
    if (!stat) throw new RehearsalError(`HAProxy has no server ${server}`);
    return stat;
  }

  /** What HAProxy printed (check transitions, warnings). */
  text(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    // SIGTERM: HAProxy's hard stop (the load is over by now); SIGKILL if it lingers.
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
