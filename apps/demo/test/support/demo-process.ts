/**
 * Runs the built demo (dist/main.js) as a child process, the way a container runs it, and talks to
 * it the way kamal-proxy and clients do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_DATABASE_URL } from './test-database.js';

export const DEMO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO_ROOT = resolve(DEMO_ROOT, '..', '..');
export const DEMO_MAIN = join(DEMO_ROOT, 'dist', 'main.js');
export const DEPLOY_YML = join(DEMO_ROOT, 'config', 'deploy.yml');
export const UPGATE_BIN = join(REPO_ROOT, 'packages', 'config', 'bin', 'upgate.js');

/** A container id as kamal-proxy puts it in the Host of its health checks (12 hex characters). */
export const CONTAINER_ID = '7c7168a662c1';

const tempDirs: string[] = [];
const children = new Set<ChildProcess>();

/** Kills every demo still running and removes temporary files (call in afterAll). */
export function cleanUp(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'upgate-demo-'));
  tempDirs.push(dir);
  return dir;
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * A copy of the demo's config/deploy.yml in a temporary project, changed by `edit` (the tests
 * cannot all listen on proxy.app_port 3000, so they give each copy a free port).
 */
export function deployCopy(edit: (text: string) => string = (text) => text): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'config'));
  const file = join(dir, 'config', 'deploy.yml');
  writeFileSync(file, edit(readFileSync(DEPLOY_YML, 'utf8')));
  return file;
}

/** Replaces `from` in a text, failing loudly if the fixture no longer has it. */
export function replace(text: string, from: string | RegExp, to: string): string {
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`the deploy file has no ${String(from)}: update the test`);
  return changed;
}

/** Sets proxy.app_port (keeping its YAML anchor). */
export function withAppPort(port: number): (text: string) => string {
  return (text) => replace(text, /app_port: (&\w+ )?\d+/, `app_port: $1${port}`);
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** `performance.now()` at exit. */
  readonly at: number;
}

export interface DemoProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<Exit>;
}

/**
 * Starts `node apps/demo/dist/main.js` with exactly this environment (plus PATH, and DATABASE_URL
 * the test database unless `env` gives one).
 */
export function spawnDemo(env: Record<string, string>, cwd: string = REPO_ROOT): DemoProcess {
  const child = spawn(process.execPath, [DEMO_MAIN], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', DATABASE_URL: TEST_DATABASE_URL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((done) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      done({ code, signal, at: performance.now() });
    }),
  );
  return { child, output: () => output, exited };
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP request with the Host header given as is. */
export function get(
  port: number,
  path: string,
  options: {
    host?: string;
    headers?: Record<string, string>;
    method?: string;
    body?: string;
    agent?: Agent | false;
    timeoutMs?: number;
  } = {},
): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        agent: options.agent ?? false,
        headers: { Host: options.host ?? `localhost:${port}`, ...options.headers },
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(options.body);
  });
}

export interface HealthCheckResult {
  readonly attempts: number;
  readonly status: number;
  readonly body: string;
  /** From the first attempt to the healthy answer. */
  readonly elapsedMs: number;
}

/**
 * kamal-proxy's health check as it runs during a deploy: `GET <path>` with
 * `Host: <container-id>:<app_port>` and `User-Agent: kamal-proxy`, every `intervalMs` with a
 * `timeoutMs` timeout each, until a 2xx answer or `deployTimeoutMs` (Kamal's deploy_timeout) passes.
 */
export async function kamalProxyHealthCheck(
  port: number,
  demo: DemoProcess,
  { path = '/up', intervalMs = 1000, timeoutMs = 5000, deployTimeoutMs = 30_000 } = {},
): Promise<HealthCheckResult> {
  const started = performance.now();
  let attempts = 0;
  let last: string;
  for (;;) {
    attempts++;
    const attempt = performance.now();
    try {
      const reply = await get(port, path, {
        host: `${CONTAINER_ID}:${port}`,
        headers: { 'User-Agent': 'kamal-proxy' },
        timeoutMs,
      });
      if (reply.status >= 200 && reply.status <= 299)
        return { attempts, status: reply.status, body: reply.body, elapsedMs: performance.now() - started };
      last = `${reply.status} ${reply.body}`;
    } catch (error) {
      last = (error as Error).message;
    }
    const next = attempt + intervalMs;
    if (next - started > deployTimeoutMs) {
      throw new Error(
        `not healthy after ${attempts} health checks in ${deployTimeoutMs} ms; last: ${last}\n--- demo output ---\n${demo.output()}`,
      );
    }
    await new Promise((done) => setTimeout(done, Math.max(0, next - performance.now())));
  }
}

/** A TCP connection on which the test writes HTTP bytes itself (for requests a client library would not send). */
export class RawConnection {
  private received = '';
  private readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (this.received += chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((done) => socket.once('close', () => done()));
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((done, fail) => {
      const socket = new Socket();
      socket.once('error', fail);
      socket.connect(port, '127.0.0.1', () => done(new RawConnection(socket)));
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Resolves when the server has closed the connection; everything it sent is in `text`. */
  async closedByServer(): Promise<string> {
    await this.closed;
    return this.received;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
