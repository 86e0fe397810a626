// Instructions per request, counted by valgrind's callgrind in the server process (all its threads:
// the event loop, the garbage collector, the compiler), over real sockets. A count does not move
// with the machine's load the way CPU time does (a neighbour's cache traffic, frequency, steal), so
// it resolves effects of a percent that the timed figures cannot. What it does not see: how long
// each instruction takes, so cache misses (a Nest process's 32 MiB young generation against a bare
// server's 1 MiB) show over sockets and not here. Each server starts under callgrind with counting
// off, is warmed up, then counted in windows of a fixed number of requests (counting switched on
// and off and dumped around each, `callgrind_control`); a window gives one sample.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { median, ratioTarget } from '../lib/stats.js';

export const hasCallgrind =
  spawnSync('valgrind', ['--version']).status === 0 && spawnSync('callgrind_control', ['-h']).error === undefined;

/** @returns {Promise<import('../lib/report.js').Row[]>} */
export async function instructionRows({ nestApp, bareHttp }, { windows, log }) {
  const work = mkdtempSync(join(tmpdir(), 'upgate-callgrind-'));
  // Windows long enough to share out the collections of the old generation, whose instructions land
  // in whichever window they fall: a window's spread is mostly theirs.
  const probe = { path: '/up', warmUp: 40_000, requests: 10_000 };
  const route = { path: '/hello', warmUp: 6_000, requests: 2_000 };
  const servers = {
    bare: { script: bareHttp, args: [], ...probe },
    'express module /up': { script: nestApp, args: ['express', 'module'], ...probe },
    'fastify module /up': { script: nestApp, args: ['fastify', 'module'], ...probe },
    'express plain /hello': { script: nestApp, args: ['express', 'plain'], ...route },
    'express module /hello': { script: nestApp, args: ['express', 'module'], ...route },
    'fastify plain /hello': { script: nestApp, args: ['fastify', 'plain'], ...route },
    'fastify module /hello': { script: nestApp, args: ['fastify', 'module'], ...route },
  };
  const counts = {};
  try {
    // Two at a time: a count does not depend on what else runs.
    const names = Object.keys(servers);
    const lanes = [names.filter((_, i) => i % 2 === 0), names.filter((_, i) => i % 2 === 1)];
    await Promise.all(
      lanes.map(async (lane) => {
        for (const name of lane) {
          counts[name] = await countServer(name, servers[name], windows, work);
          log(`  ${name}: ${counts[name].map((count) => Math.round(count).toLocaleString('en-US')).join(', ')}`);
        }
      }),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // A ratio of instructions, B ÷ A: as throughput per instruction, A ÷ B, like the ratios over sockets.
  const ratio = (a, b) => counts[a].map((count, window) => counts[b][window] / count);
  const perRequest = (name) => `${Math.round(median(counts[name])).toLocaleString('en-US')} instructions/request`;
  const rows = [];
  for (const adapter of ['express', 'fastify']) {
    const Adapter = adapter[0].toUpperCase() + adapter.slice(1);
    rows.push(
      {
        label: `${Adapter}: probe GET /up, module ÷ bare node:http, by instructions`,
        a: perRequest(`${adapter} module /up`),
        b: perRequest('bare'),
        values: ratio(`${adapter} module /up`, 'bare'),
        unit: 'ratio',
        target: ratioTarget('>=', 0.95),
      },
      {
        label: `${Adapter}: ordinary route GET /hello, with ÷ without the module, by instructions`,
        a: perRequest(`${adapter} module /hello`),
        b: perRequest(`${adapter} plain /hello`),
        values: ratio(`${adapter} module /hello`, `${adapter} plain /hello`),
        unit: 'ratio',
        target: ratioTarget('>=', 0.99),
      },
    );
  }
  return rows;
}

/** One server under callgrind: instructions per request in each of `windows` counted windows. */
async function countServer(name, { script, args, path, warmUp, requests }, windows, work) {
  const out = join(work, name.replace(/[^a-z]+/g, '-'));
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`, process.execPath, script, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  try {
    const port = await listening(child, name);
    await load(port, path, warmUp, name);
    const perRequest = [];
    for (let window = 1; window <= windows; window++) {
      control(child.pid, '-i', 'on');
      await load(port, path, requests, name);
      control(child.pid, '-i', 'off');
      control(child.pid, '-d');
      perRequest.push(dumpedInstructions(out, window) / requests);
    }
    return perRequest;
  } finally {
    child.kill('SIGKILL');
  }
}

function listening(child, name) {
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`${name} under callgrind exited (${code}) early:\n${output}`)));
  });
}

/** Exactly `amount` requests over 50 keep-alive connections; each must be a 200. */
async function load(port, path, amount, name) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: 50,
    amount,
    timeout: 120,
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
}

function control(pid, ...args) {
  const run = spawnSync('callgrind_control', [...args, String(pid)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`callgrind_control ${args.join(' ')} ${pid}: ${run.stderr || run.stdout}`);
}

/** The instructions of the `window`-th dump (callgrind writes it to `<out>.<window>`, counted from zero). */
function dumpedInstructions(out, window) {
  const file = `${out}.${window}`;
  const totals = /^totals: (\d+)/m.exec(readFileSync(file, 'utf8'));
  if (totals === null) throw new Error(`no totals in ${file}`);
  return Number(totals[1]);
}
