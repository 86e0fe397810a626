// Load on a server over real sockets: wrk (one thread, 50 keep-alive connections) where it is
// installed (scripts/bench-tools.sh installs it), else autocannon. A node load generator on one core
// tops out below what a bare node:http server answers, so with it the probe ratios measure the load
// generator more than the servers; wrk saturates them.
import { spawn, spawnSync } from 'node:child_process';
import autocannon from 'autocannon';
import { serverCpuMicros } from './processes.js';

const CONNECTIONS = 50;
/** Attempts of one run before its figure is given up as "not resolved": a stray timeout is the machine's, not the server's. */
const ATTEMPTS = 3;

const useWrk = process.env.BENCH_LOADGEN !== 'autocannon' && spawnSync('wrk', ['--version']).error === undefined;
export const LOADGEN = `${useWrk ? 'wrk' : 'autocannon'}, ${CONNECTIONS} keep-alive connections`;

/** What went wrong in runs that were retried: printed with the figures, never an abort. */
export const incidents = [];

/**
 * `seconds` of load on GET `path`: the requests answered, per second and per CPU microsecond the
 * server used meanwhile; `undefined` when every attempt had errors, timeouts or a non-2xx answer.
 * A server that has exited is started again (`server.restart`), and the run retried.
 * @returns {Promise<{ rps: number, cpuMicrosPerRequest: number, busy: number } | undefined>}
 */
export async function loadRun(server, path, seconds, label) {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (!server.child.connected) await server.restart(`${label}: the server had exited; started again`);
    const cpuBefore = await serverCpuMicros(server).catch(() => undefined);
    if (cpuBefore === undefined) continue;
    const wallBefore = performance.now();
    const url = `http://127.0.0.1:${server.port}${path}`;
    let result;
    try {
      result = useWrk ? await wrk(url, seconds) : await cannon(url, seconds);
    } catch (error) {
      result = { requests: 0, non2xx: 0, errors: 1, timeouts: 0, failure: error.message };
    }
    const cpuAfter = await serverCpuMicros(server).catch(() => undefined);
    if (cpuAfter === undefined) {
      incidents.push(`${label}, attempt ${attempt}/${ATTEMPTS}: the server exited during the run`);
      continue;
    }
    const cpuMicros = cpuAfter - cpuBefore;
    const wallSeconds = (performance.now() - wallBefore) / 1000;
    if (result.non2xx === 0 && result.errors === 0 && result.timeouts === 0 && result.requests > 0) {
      return {
        rps: result.requests / seconds,
        cpuMicrosPerRequest: cpuMicros / result.requests,
        busy: cpuMicros / 1e6 / wallSeconds,
      };
    }
    incidents.push(
      `${label}, attempt ${attempt}/${ATTEMPTS}: ${result.failure ?? `${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`}` +
        (attempt < ATTEMPTS ? '; retried' : '; round left out'),
    );
  }
  return undefined;
}

async function wrk(url, seconds) {
  const child = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  if (code !== 0 || !Number.isFinite(requests)) throw new Error(`wrk exited ${code}: ${out.trim()}`);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: socketErrors ? Number(socketErrors[1]) + Number(socketErrors[2]) + Number(socketErrors[3]) : 0,
    timeouts: socketErrors ? Number(socketErrors[4]) : 0,
  };
}

async function cannon(url, seconds) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds });
  return {
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
