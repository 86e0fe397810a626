/**
 * One version of the built demo, as Kamal runs a container of it: `node apps/demo/dist/main.js`
 * with NODE_ENV=production and its own copy of config/deploy.yml (whose proxy.app_port is the port
 * this version listens on: every version of the rehearsal runs on the same loopback).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RehearsalError, sleep } from './haproxy.js';

/** apps/demo, from rehearsal/dist/ (compiled) or rehearsal/ (sources). */
const HERE = dirname(fileURLToPath(import.meta.url));
export const DEMO_ROOT = resolve(HERE, HERE.endsWith(`${join('rehearsal', 'dist')}`) ? '../..' : '..');
export const REPO_ROOT = resolve(DEMO_ROOT, '..', '..');
export const DEMO_MAIN = join(DEMO_ROOT, 'dist', 'main.js');
export const DEPLOY_YML = join(DEMO_ROOT, 'config', 'deploy.yml');
/** Preload that makes the readiness probe fail (see fail-readiness.mjs). */
export const FAIL_READINESS = join(DEMO_ROOT, 'rehearsal', 'fail-readiness.mjs');

export interface VersionOptions {
  /** `v1`, `v2`: the server name in HAProxy. */
  readonly name: string;
  readonly port: number;
  /** Where the version's deploy file copy is written. */
  readonly dir: string;
  /** Changes to the deploy file copy, after proxy.app_port is set. */
  readonly editDeploy?: (text: string) => string;
  /** Environment beyond NODE_ENV and DEPLOY_FILE. */
  readonly env?: Readonly<Record<string, string>>;
  /** Node options before main.js (a preload). */
  readonly nodeArgs?: readonly string[];
}

export class DemoVersion {
  /** The id kamal-proxy would put in Host: a container id's first 12 hex characters. */
  readonly containerId = randomBytes(6).toString('hex');
  readonly deployFile: string;
  private child: ChildProcess | undefined;
  private output = '';
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private exitPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  /** `performance.now()` when the process was spawned. */
  startedAt = 0;

  constructor(readonly options: VersionOptions) {
    mkdirSync(join(options.dir, options.name, 'config'), { recursive: true });
    this.deployFile = join(options.dir, options.name, 'config', 'deploy.yml');
    const original = readFileSync(DEPLOY_YML, 'utf8');
    const withPort = original.replace(/app_port: (&\w+ )?\d+/, `app_port: $1${options.port}`);
    if (withPort === original)
      throw new RehearsalError(`${DEPLOY_YML} has no proxy.app_port to set: update the rehearsal`);
    writeFileSync(this.deployFile, options.editDeploy ? options.editDeploy(withPort) : withPort);
  }

  get name(): string {
    return this.options.name;
  }

  get port(): number {
    return this.options.port;
  }

  start(track: (child: ChildProcess) => void): void {
    const args = [...(this.options.nodeArgs ?? []), DEMO_MAIN];
    this.startedAt = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        NO_COLOR: '1',
        NODE_ENV: 'production',
        DEPLOY_FILE: this.deployFile,
        // The database .ci/run starts (scripts/postgres.sh), as Kamal's env.secret would give it.
        DATABASE_URL: process.env['DATABASE_URL'] ?? 'postgres://upgate:upgate@127.0.0.1:5432/upgate_demo_test',
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    this.child = child;
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => (this.output += chunk));
    child.stderr?.on('data', (chunk: string) => (this.output += chunk));
    this.exitPromise = new Promise((done) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        done(this.exit);
      }),
    );
  }

  /** Waits for the demo's start-up lines (it listens by then). */
  async started(timeoutMs = 30_000): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (!this.output.includes('trusts X-Forwarded-Host from')) {
      if (this.exit)
        throw new RehearsalError(`${this.name} exited during start-up (${describeExit(this.exit)}):\n${this.output}`);
      if (performance.now() > until)
        throw new RehearsalError(`${this.name} printed no start-up lines within ${timeoutMs} ms:\n${this.output}`);
      await sleep(50);
    }
  }

  get exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exit;
  }

  /** Sends a signal and waits (at most `timeoutMs`) for the exit. */
  async stop(
    signal: NodeJS.Signals,
    timeoutMs = 15_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    if (!this.child || !this.exitPromise) throw new RehearsalError(`${this.name} was never started`);
    const began = performance.now();
    if (!this.exit) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), timeoutMs)));
    const exit = await Promise.race([this.exitPromise, timedOut]);
    clearTimeout(timer);
    if (!exit) {
      this.child.kill('SIGKILL');
      throw new RehearsalError(`${this.name} did not exit within ${timeoutMs} ms of ${signal}`);
    }
    return { ...exit, ms: performance.now() - began };
  }

  text(): string {
    return this.output;
  }
}

export function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`;
}

/** `--import <file>` for a preload. */
export function preload(file: string): string[] {
  return ['--import', pathToFileURL(file).href];
}
