// The measured processes: each server (and each in-process measurement) runs on core 0, the
// benchmark and its load generator on core 1, so that the load generator does not take the server's
// CPU. A server's CPU time is what the kernel counted for it (getrusage, in microseconds), which it
// reports over the IPC channel when asked; memory and a process's CPU time at one moment are read
// from /proc.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { cpus } from 'node:os';

export const SERVER_CORE = '0';
export const CLIENT_CORE = '1';
export const canPin = cpus().length >= 2 && spawnSync('taskset', ['-c', SERVER_CORE, 'true']).status === 0;

/**
 * Re-runs the calling script on the client core once (`taskset`), and exits with its status; returns
 * in the re-run (or where nothing can be pinned).
 * @param {string} script the calling script's path
 */
export function pinThisProcess(script) {
  if (!canPin || process.env.UPGATE_BENCH_PINNED === '1') return;
  const pinned = spawnSync('taskset', ['-c', CLIENT_CORE, process.execPath, script], {
    stdio: 'inherit',
    env: { ...process.env, UPGATE_BENCH_PINNED: '1' },
  });
  process.exit(pinned.status ?? 1);
}

/** The command line that runs `node args` on the server core. */
export function onServerCore(args) {
  return canPin
    ? { command: 'taskset', argv: ['-c', SERVER_CORE, process.execPath, ...args] }
    : { command: process.execPath, argv: args };
}

// Whatever happens to this run, no server outlives it.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Starts `node script ...args` on the server core; resolves once it prints "listening <port>".
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, port: number, started: number }>}
 */
export function startServer(script, args = []) {
  const { command, argv } = onServerCore([script, ...args]);
  const started = performance.now();
  const child = spawn(command, argv, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening (\d+)/.exec(output);
      if (match) resolve({ child, port: Number(match[1]), started });
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) =>
      reject(new Error(`${[script, ...args].join(' ')} exited (${code}) early:\n${output}`)),
    );
  });
}

/** Runs `node ...args` on the server core to its end; resolves with its stdout. */
export function runOnServerCore(args) {
  const { command, argv } = onServerCore(args);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (err += chunk));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`node ${args.join(' ')} exited (${code}):\n${out}${err}`));
    });
  });
}

export function stopServer({ child }) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

/** Status of one GET (no keep-alive). */
export function getStatus(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

/** What a server started by `startServer` answers to `question` over IPC (apps/answer-bench.ts); rejects when it has gone. */
function askServer({ child }, question) {
  return new Promise((resolve, reject) => {
    const gone = () => reject(new Error(`the server (pid ${child.pid}) has exited`));
    if (!child.connected) return gone();
    child.once('exit', gone);
    child.once('message', (answer) => {
      child.off('exit', gone);
      resolve(answer);
    });
    child.send(question, (error) => {
      if (error) {
        child.off('exit', gone);
        reject(error);
      }
    });
  });
}

/** CPU microseconds (user + system) a server has used so far, as the kernel counted them for it. */
export async function serverCpuMicros(server) {
  const { user, system } = await askServer(server, 'cpu');
  return user + system;
}

/** The size of a server's young generation (V8's new space, where short-lived objects go), MiB. */
export async function serverYoungGenerationMiB(server) {
  return (await askServer(server, 'young-generation')) / 2 ** 20;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU seconds a process has used so far (user + system), as the kernel counted them. */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident memory of a process, MiB. */
export function rssMiB(pid) {
  const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kib / 1024;
}
