// The cost of the HealthModule, measured in one run (issue 3). Not a test: it prints the figures
// and the ratios, and writes bench/results.md and bench/results.svg.
//   npm run bench -w @upgate/health        (BENCH_ROUNDS, BENCH_SECONDS, BENCH_SPAWNS to change)
// Targets:
// - probe throughput of a NestJS app with the module / a bare node:http server on the same path:
//   >= 0.90 on Express and on Fastify (reference: a terminus controller, 0.10 and 0.62);
// - an ordinary route with the module / the same app without it: >= 0.97;
// - spawn to the first 200 on the probe, with / without the module: <= 1.05; RSS +2 MiB at most.
// Every server runs on core 0 (taskset), this process and its load generator on core 1: wrk where it
// is installed (Debian: apt-get install wrk), else autocannon. A node load generator on one core
// tops out below what a bare node:http server answers (about 48k against 60k req/s here), so the
// probe ratios it gives measure the load generator more than the servers; wrk saturates them. The runs
// of a comparison are interleaved (A, B, A, B, ...) over several rounds, and medians are reported.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { buildBenchApps } from './build.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 10);
const CONNECTIONS = 50;
const WARMUP_SECONDS = 2;
const SERVER_CORE = '0';
const CLIENT_CORE = '1';

const useWrk = process.env.BENCH_LOADGEN !== 'autocannon' && spawnSync('wrk', ['--version']).error === undefined;
const LOADGEN = useWrk ? 'wrk' : 'autocannon';

const canPin = cpus().length >= 2 && spawnSync('taskset', ['-c', SERVER_CORE, 'true']).status === 0;

// Put this process (the load generator) on its core, once.
if (canPin && process.env.UPGATE_BENCH_PINNED !== '1') {
  const pinned = spawnSync('taskset', ['-c', CLIENT_CORE, process.execPath, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, UPGATE_BENCH_PINNED: '1' },
  });
  process.exit(pinned.status ?? 1);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// Whatever happens to this run, no server outlives it.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts a server on the server core; resolves once it prints the port it listens on. */
function startServer(script, args) {
  const command = canPin ? 'taskset' : process.execPath;
  const argv = canPin ? ['-c', SERVER_CORE, process.execPath, script, ...args] : [script, ...args];
  const started = performance.now();
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const match = /listening (\d+)/.exec(output);
      if (match) resolve({ child, port: Number(match[1]), started });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) =>
      reject(new Error(`${args.join(' ') || script} exited (${code}) before listening:\n${output}`)),
    );
  });
}

function stopServer({ child }) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

function getStatus(port, path) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU seconds a process has used so far (user + system), from /proc. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * Requests per second, 50 connections, no pipelining; every answer must be a 2xx. Also the share
 * of one core the server used meanwhile: well under 100%, the load generator (or another process
 * on the server's core) was the limit, not the server, and the ratio says little.
 */
async function throughput(server, path, seconds) {
  const cpuBefore = cpuSeconds(server.child.pid);
  const wallBefore = performance.now();
  const url = `http://127.0.0.1:${server.port}${path}`;
  const result = useWrk
    ? await wrk(url, seconds)
    : await autocannon({ url, connections: CONNECTIONS, duration: seconds });
  const busy = (cpuSeconds(server.child.pid) - cpuBefore) / ((performance.now() - wallBefore) / 1000);
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${path} on port ${server.port}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return { rps: result.requests.average, busy };
}

/** One wrk run (one thread, CONNECTIONS connections), in autocannon's result shape. */
async function wrk(url, seconds) {
  const child = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  if (code !== 0 || !Number.isFinite(rps)) throw new Error(`wrk ${url} failed (exit ${code}):\n${out}`);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: { average: rps },
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: socketErrors ? Number(socketErrors[1]) + Number(socketErrors[2]) + Number(socketErrors[3]) : 0,
    timeouts: socketErrors ? Number(socketErrors[4]) : 0,
  };
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kib / 1024;
}

const started = performance.now();
const load = loadavg()[0];
console.log(
  `upgate health bench: node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load ${load.toFixed(2)}`,
);
console.log(
  canPin
    ? `servers on core ${SERVER_CORE}, load generator (${LOADGEN}) on core ${CLIENT_CORE}`
    : 'taskset unavailable: nothing pinned',
);
const { nestApp, bareHttp } = await buildBenchApps();
console.log(`apps compiled to ${dirname(nestApp)}`);

// ---- throughput -------------------------------------------------------------------------------
const servers = {
  bare: await startServer(bareHttp, []),
  'express module': await startServer(nestApp, ['express', 'module']),
  'express plain': await startServer(nestApp, ['express', 'plain']),
  'express terminus': await startServer(nestApp, ['express', 'terminus']),
  'fastify module': await startServer(nestApp, ['fastify', 'module']),
  'fastify plain': await startServer(nestApp, ['fastify', 'plain']),
  'fastify terminus': await startServer(nestApp, ['fastify', 'terminus']),
  // The route pairs get module servers of their own: one that has just answered a flood of probes
  // carries that flood's garbage into the next run (measured on Fastify: /hello then took about 1.5
  // times the CPU per request, mostly in GC), which says nothing about what the module costs an
  // ordinary route.
  'express module (routes only)': await startServer(nestApp, ['express', 'module']),
  'fastify module (routes only)': await startServer(nestApp, ['fastify', 'module']),
};
// Each ratio comes from a pair of runs made one right after the other (the order alternating by
// round), so that the machine's load, which drifts, weighs on both sides of it alike.
const pairs = [
  ['express probe', ['express module', '/up'], ['bare', '/up']],
  ['fastify probe', ['fastify module', '/up'], ['bare', '/up']],
  ['express terminus', ['express terminus', '/up'], ['bare', '/up']],
  ['fastify terminus', ['fastify terminus', '/up'], ['bare', '/up']],
  ['express route', ['express module (routes only)', '/hello'], ['express plain', '/hello']],
  ['fastify route', ['fastify module (routes only)', '/hello'], ['fastify plain', '/hello']],
];
const samples = Object.fromEntries(pairs.map(([name]) => [name, { a: [], b: [], busyA: [], busyB: [] }]));
try {
  const targets = new Map(
    pairs.flatMap(([, a, b]) => [a, b]).map(([server, path]) => [`${server} ${path}`, [server, path]]),
  );
  for (const [name, [server, path]] of targets) {
    if ((await getStatus(servers[server].port, path)) !== 200) throw new Error(`${name}: not 200`);
    await throughput(servers[server], path, WARMUP_SECONDS);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, [serverA, pathA], [serverB, pathB]] of pairs) {
      const sample = samples[name];
      const runA = async () => {
        const { rps, busy } = await throughput(servers[serverA], pathA, SECONDS);
        sample.a.push(rps);
        sample.busyA.push(busy);
      };
      const runB = async () => {
        const { rps, busy } = await throughput(servers[serverB], pathB, SECONDS);
        sample.b.push(rps);
        sample.busyB.push(busy);
      };
      if (round % 2 === 0) {
        await runA();
        await runB();
      } else {
        await runB();
        await runA();
      }
    }
    const ratios = pairs.map(([name]) => `${name} ${(samples[name].a.at(-1) / samples[name].b.at(-1)).toFixed(2)}`);
    console.log(`round ${round + 1}/${ROUNDS}: ${ratios.join(', ')}`);
  }
} finally {
  await Promise.all(Object.values(servers).map(stopServer));
}
/**
 * The median of the per-round ratios of a pair: of requests per second of the server's CPU time
 * (`perCpu`), or of plain requests per second. On a core of its own a saturated server uses 100%
 * of it and the two agree; on a shared machine, where other processes take turns on the server's
 * core and the load generator's, the first still measures what a request costs the server.
 */
const ratioOf = (name, perCpu) => {
  const { a, b, busyA, busyB } = samples[name];
  return median(a.map((value, i) => (perCpu ? value / busyA[i] / (b[i] / busyB[i]) : value / b[i])));
};
const rps = (name, side) => {
  const busy = median(samples[name][side === 'a' ? 'busyA' : 'busyB']);
  return `${Math.round(median(samples[name][side]))} req/s at ${Math.round(busy * 100)}% CPU`;
};

// ---- spawn to first 200, and memory ----------------------------------------------------------
async function spawnToFirst200(adapter, variant) {
  const server = await startServer(nestApp, [adapter, variant]);
  try {
    const status = await getStatus(server.port, '/up');
    const ms = performance.now() - server.started;
    const cpu = cpuSeconds(server.child.pid) * 1000;
    if (status !== 200) throw new Error(`${adapter} ${variant}: /up answered ${status}`);
    return { ms, cpu, rss: rssMiB(server.child.pid) };
  } finally {
    await stopServer(server);
  }
}
const spawns = {};
for (const adapter of ['express', 'fastify']) {
  for (const variant of ['module', 'plain']) spawns[`${adapter} ${variant}`] = { ms: [], cpu: [], rss: [] };
  for (let i = 0; i < SPAWNS; i++) {
    for (const variant of i % 2 === 0 ? ['module', 'plain'] : ['plain', 'module']) {
      const { ms, cpu, rss } = await spawnToFirst200(adapter, variant);
      spawns[`${adapter} ${variant}`].ms.push(ms);
      spawns[`${adapter} ${variant}`].cpu.push(cpu);
      spawns[`${adapter} ${variant}`].rss.push(rss);
    }
  }
}

// ---- report ----------------------------------------------------------------------------------
const rows = [];
for (const adapter of ['express', 'fastify']) {
  const Adapter = adapter[0].toUpperCase() + adapter.slice(1);
  rows.push({
    label: `${Adapter}: probe /up, module ÷ bare node:http`,
    a: rps(`${adapter} probe`, 'a'),
    b: rps(`${adapter} probe`, 'b'),
    ratio: ratioOf(`${adapter} probe`, true),
    wallRatio: ratioOf(`${adapter} probe`, false),
    target: 0.9,
    better: 'higher',
  });
  rows.push({
    label: `${Adapter}: terminus controller /up ÷ bare node:http (reference)`,
    a: rps(`${adapter} terminus`, 'a'),
    b: rps(`${adapter} terminus`, 'b'),
    ratio: ratioOf(`${adapter} terminus`, true),
    wallRatio: ratioOf(`${adapter} terminus`, false),
    target: undefined,
    better: 'higher',
  });
  rows.push({
    label: `${Adapter}: ordinary route /hello, with ÷ without the module`,
    a: rps(`${adapter} route`, 'a'),
    b: rps(`${adapter} route`, 'b'),
    ratio: ratioOf(`${adapter} route`, true),
    wallRatio: ratioOf(`${adapter} route`, false),
    target: 0.97,
    better: 'higher',
  });
  const withModule = spawns[`${adapter} module`];
  const without = spawns[`${adapter} plain`];
  rows.push({
    label: `${Adapter}: spawn to first 200 on /up, with ÷ without the module`,
    a: `${Math.round(median(withModule.ms))} ms, ${Math.round(median(withModule.cpu))} ms CPU`,
    b: `${Math.round(median(without.ms))} ms, ${Math.round(median(without.cpu))} ms CPU`,
    ratio: median(withModule.cpu) / median(without.cpu),
    wallRatio: median(withModule.ms) / median(without.ms),
    target: 1.05,
    better: 'lower',
  });
  const rssDiff = median(withModule.rss) - median(without.rss);
  rows.push({
    label: `${Adapter}: RSS after the first 200, with − without the module`,
    a: `${median(withModule.rss).toFixed(1)} MiB`,
    b: `${median(without.rss).toFixed(1)} MiB`,
    diff: rssDiff,
    target: 2,
    better: 'lower',
  });
}
const meets = (row) => {
  if (row.target === undefined) return 'reference';
  const value = row.ratio ?? row.diff;
  return (row.better === 'higher' ? value >= row.target : value <= row.target) ? 'yes' : 'NO';
};
const figure = (row) =>
  row.ratio !== undefined ? row.ratio.toFixed(2) : `${row.diff >= 0 ? '+' : ''}${row.diff.toFixed(2)} MiB`;
const wallFigure = (row) => (row.wallRatio !== undefined ? row.wallRatio.toFixed(2) : '');
const goal = (row) =>
  row.target === undefined
    ? ''
    : `${row.better === 'higher' ? '≥' : '≤'} ${row.ratio !== undefined ? row.target.toFixed(2) : `+${row.target} MiB`}`;

console.log('');
console.log(
  `${'measurement'.padEnd(66)} ${'A'.padStart(28)} ${'B'.padStart(28)}  ${'÷ per CPU'.padStart(10)} ${'wall'.padStart(6)}  target      met`,
);
for (const row of rows) {
  console.log(
    `${row.label.padEnd(66)} ${row.a.padStart(28)} ${row.b.padStart(28)}  ${figure(row).padStart(10)} ${wallFigure(row).padStart(6)}  ${goal(row).padEnd(11)} ${meets(row)}`,
  );
}
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
console.log(`\n${minutes} min; load average now ${loadavg()[0].toFixed(2)} (at start ${load.toFixed(2)})`);

const date = new Date().toISOString().slice(0, 10);
const setup =
  `${date}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${load.toFixed(2)} at start; ` +
  `${canPin ? `servers pinned to core ${SERVER_CORE}, ${LOADGEN} to core ${CLIENT_CORE}` : 'no pinning (taskset unavailable)'}; ` +
  `${LOADGEN} ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds of back-to-back pairs, order alternating (median of the per-round ratios); ` +
  `${SPAWNS} interleaved spawns per app (medians).`;
// Before the run, the load average is the neighbours' alone (during it, this run adds its two).
const shared =
  load > 0.5
    ? [
        `**The machine was shared during this run** (load average ${load.toFixed(2)} before it started, ${loadavg()[0].toFixed(2)} at its end, ` +
          `on ${cpus().length} cores): other processes took turns on both cores, and the figures, the wall-clock ones above all, ` +
          'vary by more than the targets allow from one run to the next. Run it again on a quiet machine before quoting them.',
        '',
      ]
    : [];
const markdown = [
  '# @upgate/health benchmark',
  '',
  `Written by \`npm run bench -w @upgate/health\` (bench/probe.bench.js): ${setup}`,
  '',
  ...shared,
  '| measurement | A | B | A ÷ B per CPU | A ÷ B wall clock | target | met |',
  '| --- | ---: | ---: | ---: | ---: | --- | --- |',
  ...rows.map(
    (row) =>
      `| ${row.label} | ${row.a} | ${row.b} | ${figure(row)} | ${wallFigure(row)} | ${goal(row)} | ${meets(row)} |`,
  ),
  '',
  "The targets are judged on the per-CPU figures: requests per second of the server's CPU time, and the CPU time a " +
    'process has used by its first 200. On a machine of its own, with the server alone on its core, they equal the ' +
    'wall-clock figures; on a shared one, where other processes take turns on both cores, they still measure what the ' +
    "module costs, while the wall-clock ratios (shown for comparison) swing with the neighbours' load.",
  '',
  '![ratios against their targets](results.svg)',
  '',
].join('\n');
if (shared.length > 0) console.log(`\n${shared[0].replace(/\*\*/g, '')}`);
writeFileSync(join(here, 'results.md'), markdown);
writeFileSync(join(here, 'results.svg'), chart(rows));
console.log(`wrote ${join(here, 'results.md')} and results.svg`);

/** A horizontal bar per ratio (0 to 1.2), with its target as a tick; memory is in the table only. */
function chart(allRows) {
  const bars = allRows.filter((row) => row.ratio !== undefined);
  const width = 760;
  const left = 440;
  const plot = width - left - 60;
  const rowHeight = 30;
  const top = 40;
  const height = top + bars.length * rowHeight + 40;
  const max = 1.2;
  const x = (value) => Math.round((left + (Math.min(value, max) / max) * plot) * 10) / 10;
  const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-weight="bold">A ÷ B per CPU (bar) and target (black tick); green: met, red: missed, grey: reference</text>`,
  ];
  for (const tick of [0, 0.25, 0.5, 0.75, 1, 1.2]) {
    parts.push(`<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${height - 34}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(tick)}" y="${height - 20}" text-anchor="middle" fill="#555">${tick.toFixed(2)}</text>`);
  }
  bars.forEach((row, i) => {
    const y = top + i * rowHeight;
    const verdict = meets(row);
    const color = verdict === 'reference' ? '#9e9e9e' : verdict === 'yes' ? '#2e7d32' : '#c62828';
    parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escape(row.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${x(row.ratio) - left}" height="16" fill="${color}"/>`);
    parts.push(`<text x="${x(row.ratio) + 4}" y="${y + 16}">${row.ratio.toFixed(2)}</text>`);
    if (row.target !== undefined) {
      parts.push(
        `<line x1="${x(row.target)}" y1="${y + 1}" x2="${x(row.target)}" y2="${y + 23}" stroke="#000" stroke-width="2"/>`,
      );
    }
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
