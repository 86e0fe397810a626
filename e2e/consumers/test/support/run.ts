import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace root, which nothing run in a consumer folder may see. */
export const WORKSPACE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Where the consumer apps' sources are kept. */
export const FIXTURES_DIR = join(WORKSPACE_ROOT, 'e2e/consumers/fixtures');

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  /** Added to the clean environment (see `cleanEnv`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Resolve with the result instead of rejecting when the command fails. */
  readonly allowFailure?: boolean;
}

/**
 * The environment of a process run for a consumer: this one's, without what would tie it to the
 * workspace. `npm test` exports `npm_config_*` (among them the workspace's own `local_prefix`) and
 * puts the workspace's `node_modules/.bin` on PATH; jest sets NODE_OPTIONS (vm modules) and
 * NODE_ENV=test; Nx adds its own variables and FORCE_COLOR. A consumer gets none of them.
 */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_') || lower.startsWith('nx_') || lower.startsWith('jest')) continue;
    if (['NODE_OPTIONS', 'NODE_ENV', 'NODE_PATH', 'INIT_CWD', 'TS_NODE_PROJECT', 'PORT', 'FORCE_COLOR'].includes(key))
      continue;
    env[key] = value;
  }
  env['PATH'] = (process.env['PATH'] ?? '')
    .split(':')
    .filter((entry) => entry !== '' && !entry.startsWith(WORKSPACE_ROOT))
    .join(':');
  return { ...env, ...extra };
}

/** Runs a command to its end, bounded in time; rejects with its whole output when it fails. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, stdout, stderr };
      if (code === 0 || options.allowFailure === true) {
        resolvePromise(result);
        return;
      }
      const why = signal === 'SIGKILL' ? `killed after ${options.timeoutMs} ms` : `exit ${code ?? signal}`;
      reject(
        new Error(
          `${command} ${args.join(' ')} (in ${options.cwd}) failed: ${why}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
        ),
      );
    });
  });
}
