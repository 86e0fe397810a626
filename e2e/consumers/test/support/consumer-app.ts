import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { PackedPackage } from './pack.js';
import { cleanEnv, FIXTURES_DIR, run, type RunResult } from './run.js';

/** npm as the issue asks for it: quick, quiet, and no dependency's install script runs. */
const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'];

/**
 * One consumer app (a folder of `fixtures/`) set up as its user would: in a fresh temporary folder
 * outside the workspace, with its `package.json` naming the packed tarballs, `npm install`,
 * compiled with its own `tsc`, started as a process of its own.
 */
export class ConsumerApp {
  private process: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly fixture: string,
    /** The temporary folder, its real path (no symlink in it). */
    readonly dir: string,
  ) {}

  /** Copies the fixture and the tarballs into a new temporary folder and writes its manifest. */
  static async create(fixture: string, packs: readonly PackedPackage[]): Promise<ConsumerApp> {
    const dir = await realpath(await mkdtemp(join(tmpdir(), `upgate-consumer-${fixture}-`)));
    const source = join(FIXTURES_DIR, fixture);
    // src/, config/, ...; the manifest and tsconfig are kept under other names in the workspace so
    // that Nx does not take the fixture for a project of its own.
    for (const entry of await readdir(source)) {
      if (!entry.startsWith('consumer.')) await cp(join(source, entry), join(dir, entry), { recursive: true });
    }
    await copyFile(join(source, 'consumer.tsconfig.json'), join(dir, 'tsconfig.json'));
    await mkdir(join(dir, 'tarballs'));
    const manifest = JSON.parse(await readFile(join(source, 'consumer.package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const pack of packs) {
      await copyFile(pack.tarball, join(dir, 'tarballs', basename(pack.tarball)));
      manifest.dependencies[pack.name] = `file:tarballs/${basename(pack.tarball)}`;
    }
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return new ConsumerApp(fixture, dir);
  }

  install(): Promise<RunResult> {
    return run('npm', NPM_INSTALL, { cwd: this.dir, timeoutMs: 180_000 });
  }

  /** The app's own TypeScript, on its own tsconfig.json, with extra command-line options. */
  tsc(args: readonly string[] = [], allowFailure = false): Promise<RunResult> {
    return run(process.execPath, [join(this.dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', ...args], {
      cwd: this.dir,
      timeoutMs: 120_000,
      allowFailure,
    });
  }

  /** Runs a script with the app's node, from the app's folder (bounded to 30 s unless told). */
  node(
    args: readonly string[],
    options: { env?: Readonly<Record<string, string>>; allowFailure?: boolean; timeoutMs?: number } = {},
  ): Promise<RunResult> {
    return run(process.execPath, args, {
      cwd: this.dir,
      timeoutMs: options.timeoutMs ?? 30_000,
      env: options.env ?? {},
      allowFailure: options.allowFailure ?? false,
    });
  }

  /** Starts `node dist/main.js` and resolves with its port once it says it listens. */
  async start(env: Readonly<Record<string, string>>): Promise<number> {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: this.dir,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.fixture} did not listen within 30 s:\n${this.output}`)),
        30_000,
      );
      const onData = (chunk: string): void => {
        this.output += chunk;
        const match = /listening on (\d+)/.exec(this.output);
        if (match !== null) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: string) => (this.output += chunk));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.fixture} exited (${code ?? signal}) before listening:\n${this.output}`));
      });
    });
  }

  /** What the running app printed so far (stdout and stderr). */
  get log(): string {
    return this.output;
  }

  /** Stops the app (SIGTERM, SIGKILL after 5 s) and removes the temporary folder. */
  async dispose(): Promise<void> {
    const child = this.process;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
