/**
 * A PostgreSQL cluster of a test file's own (initdb + pg_ctl in a temporary directory, on a free
 * port of 127.0.0.1), for tests that hang, stop or lock out the database: the shared one that
 * scripts/postgres.sh starts is never touched. Run as the `postgres` user when the tests run as
 * root (the server refuses root), as the current user otherwise.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './demo-process.js';

const run = promisify(execFile);

/** Debian's PostgreSQL 15 (scripts/postgres.sh installs it), else whatever is on PATH. */
const BIN_DIR = existsSync('/usr/lib/postgresql/15/bin/initdb') ? '/usr/lib/postgresql/15/bin' : '';
const bin = (name: string): string => (BIN_DIR === '' ? name : join(BIN_DIR, name));

export const THROWAWAY_PASSWORD = 'throwaway-secret';

export class ThrowawayPostgres {
  private stopped: number[] = [];

  private constructor(
    private readonly dir: string,
    readonly port: number,
    private readonly user: { uid: number; gid: number } | undefined,
  ) {}

  /** postgres://upgate:<password>@127.0.0.1:<port>/upgate_demo, or with another password. */
  url(password: string = THROWAWAY_PASSWORD): string {
    return `postgres://upgate:${encodeURIComponent(password)}@127.0.0.1:${this.port}/upgate_demo`;
  }

  static async start(): Promise<ThrowawayPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'upgate-pg-'));
    const user = process.getuid?.() === 0 ? postgresUser() : undefined;
    if (user) chownSync(dir, user.uid, user.gid);
    const cluster = new ThrowawayPostgres(dir, await freePort(), user);
    await cluster.exec(bin('initdb'), [
      '-D',
      cluster.data,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--no-sync',
    ]);
    await cluster.startServer();
    await cluster.exec(bin('psql'), [
      '-h',
      dir,
      '-p',
      String(cluster.port),
      '-U',
      'postgres',
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `CREATE ROLE upgate LOGIN PASSWORD '${THROWAWAY_PASSWORD}'`,
      '-c',
      'CREATE DATABASE upgate_demo OWNER upgate',
    ]);
    return cluster;
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  /** `pg_ctl start`, waiting until it accepts connections. */
  async startServer(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c fsync=off`;
    await this.exec(bin('pg_ctl'), ['-D', this.data, '-o', options, '-l', join(this.dir, 'log'), '-w', 'start']);
  }

  /** `pg_ctl stop -m fast`: connections are closed, new ones refused. */
  async stopServer(): Promise<void> {
    await this.exec(bin('pg_ctl'), ['-D', this.data, '-m', 'fast', '-w', 'stop']);
  }

  /** SIGSTOP to the server and every process of it: connections stay open and nothing answers. */
  hang(): void {
    this.stopped = this.processes();
    for (const pid of this.stopped) process.kill(pid, 'SIGSTOP');
  }

  /** SIGCONT to what `hang()` stopped. */
  resume(): void {
    for (const pid of this.stopped.splice(0)) process.kill(pid, 'SIGCONT');
  }

  async destroy(): Promise<void> {
    this.resume();
    await this.exec(bin('pg_ctl'), ['-D', this.data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The postmaster (postmaster.pid's first line) and its children. */
  private processes(): number[] {
    const postmaster = Number(readFileSync(join(this.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          // Field 4 of /proc/<pid>/stat is the parent's pid (the name, field 2, is in parentheses).
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [postmaster, ...children];
  }

  private async exec(file: string, args: string[]): Promise<void> {
    try {
      await run(file, args, { ...(this.user ?? {}), cwd: this.dir, timeout: 60_000 });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`${file} ${args.join(' ')} failed: ${(error as Error).message}\n${stdout ?? ''}${stderr ?? ''}`, {
        cause: error,
      });
    }
  }
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (line === undefined)
    throw new Error('no postgres user: install PostgreSQL with `bash scripts/postgres.sh` (as root)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
