/** Running the commands the rehearsal drives (ip, podman, kamal-proxy) and waiting on conditions. */
import { spawn, type SpawnOptions } from 'node:child_process';
import { RehearsalError } from './rehearsal-error.js';

export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a command to its end and collects its output. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<CommandResult> {
  const began = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', fail);
    child.once('close', (code, signal) => done({ code, signal, stdout, stderr, ms: performance.now() - began }));
  });
}

/** Runs a command that must succeed; its stdout, trimmed. */
export async function mustRun(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0)
    throw new RehearsalError(
      `${[command, ...args].join(' ')} failed (${result.signal ?? `exit status ${result.code}`}): ${(result.stderr || result.stdout).trim()}`,
    );
  return result.stdout.trim();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Polls `condition` every 50 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  condition: () => Promise<boolean> | boolean,
): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > until) throw new RehearsalError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
