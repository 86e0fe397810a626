// What the framework gate costs an ordinary request that the server gate has decided already: CPU
// time per request of GET /hello (an allowed host, a controller) on an app with the HealthModule,
// with the framework gate and without it (apps/gate-app.ts), on Express and Fastify. Not a test: it
// prints the figures.
//   npm run bench:framework-gate -w @upgate/health
//   (GATE_BENCH_ROUNDS, GATE_BENCH_REQUESTS, GATE_BENCH_CALLS to change)
// Two measurements of the same difference:
// - over sockets: each variant in a server process of its own, pinned to core 0 when taskset is
//   there (this process and its load generator, autocannon, on core 1); the server's CPU time as it
//   reads it (process.cpuUsage()). The real thing, but the kernel's and the machine's noise are in it.
// - direct: both variants in one process, the framework's handler called as a serverless handler
//   calls it, with requests marked as the server gate leaves them; no socket, no kernel.
// CPU time rather than throughput: the machine may be shared, and CPU per request does not depend on
// what else runs as much. The runs of the two variants alternate (round by round, who goes first
// too), and each round's pair is compared: its difference is spared the machine's drift.
import { spawn, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { buildBenchApps } from './build.js';

const ROUNDS = Number(process.env.GATE_BENCH_ROUNDS ?? 7);
const REQUESTS = Number(process.env.GATE_BENCH_REQUESTS ?? 40_000);
const WARMUP_REQUESTS = 20_000;
const CONNECTIONS = 10;
const SERVER_CORE = '0';
const CLIENT_CORE = '1';
const canPin = cpus().length >= 2 && spawnSync('taskset', ['-c', SERVER_CORE, 'true']).status === 0;

if (canPin && process.env.UPGATE_GATE_BENCH_PINNED !== '1') {
  const pinned = spawnSync('taskset', ['-c', CLIENT_CORE, process.execPath, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, UPGATE_GATE_BENCH_PINNED: '1' },
  });
  process.exit(pinned.status ?? 1);
}

/** CPU microseconds the server has used so far (user + system), as it reports them itself. */
function cpuMicros(server) {
  return new Promise((resolve) => {
    server.child.once('message', ({ user, system }) => resolve(user + system));
    server.child.send('cpu');
  });
}

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function startServer(script, args) {
  const command = canPin ? 'taskset' : process.execPath;
  const argv = canPin ? ['-c', SERVER_CORE, process.execPath, script, ...args] : [script, ...args];
  const child = spawn(command, argv, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  children.add(child);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening (\d+)/.exec(output);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before listening:\n${output}`)));
  });
}

/** `amount` requests of GET /hello; the server's CPU microseconds per request meanwhile. */
async function cpuPerRequest(server, amount) {
  const before = await cpuMicros(server);
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}/hello`,
    connections: CONNECTIONS,
    amount,
    headers: { host: '127.0.0.1' },
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`GET /hello: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return ((await cpuMicros(server)) - before) / amount;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const range = (values) => `${Math.min(...values).toFixed(2)} to ${Math.max(...values).toFixed(2)}`;

/** One line: the medians of both variants, and the median of the rounds' paired differences. */
function report(label, samples) {
  const withGate = median(samples.with);
  const withoutGate = median(samples.without);
  const differences = samples.with.map((value, round) => value - samples.without[round]);
  const difference = median(differences);
  console.log(
    `${label}: ${withGate.toFixed(2)} µs CPU per request with the framework gate, ${withoutGate.toFixed(2)} µs without; ` +
      `paired difference ${difference.toFixed(2)} µs (${((difference / withoutGate) * 100).toFixed(1)}%; rounds ${range(differences)})`,
  );
}

/** Runs the app in its 'direct' mode and returns its samples. */
function direct(adapter) {
  const command = canPin ? 'taskset' : process.execPath;
  const argv = canPin
    ? ['-c', SERVER_CORE, process.execPath, gateApp, adapter, 'direct']
    : [gateApp, adapter, 'direct'];
  const run = spawnSync(command, argv, { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (run.status !== 0) throw new Error(`${adapter} direct exited (${run.status}):\n${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
}

const { gateApp } = await buildBenchApps();
console.log(
  `framework gate cost, GET /hello (allowed host, a controller), ${ROUNDS} rounds; ` +
    `${canPin ? `servers on core ${SERVER_CORE}, autocannon on core ${CLIENT_CORE}` : 'nothing pinned (no taskset)'}; ` +
    `load average before: ${loadavg()[0].toFixed(2)}`,
);
for (const adapter of ['express', 'fastify']) {
  const servers = {
    with: await startServer(gateApp, [adapter, 'with']),
    without: await startServer(gateApp, [adapter, 'without']),
  };
  const samples = { with: [], without: [] };
  for (const variant of ['with', 'without']) await cpuPerRequest(servers[variant], WARMUP_REQUESTS);
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so that neither always follows the other.
    const order = round % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
    for (const variant of order) samples[variant].push(await cpuPerRequest(servers[variant], REQUESTS));
  }
  for (const server of Object.values(servers)) server.child.kill('SIGKILL');
  report(`${adapter}, over sockets (${REQUESTS} requests a run, ${CONNECTIONS} keep-alive connections)`, samples);
  report(
    `${adapter}, direct (the handler called ${process.env.GATE_BENCH_CALLS ?? 50_000} times a run)`,
    direct(adapter),
  );
}
