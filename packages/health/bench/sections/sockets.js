// Over real sockets: each server a process of its own on the server core, loaded from the client
// core. Every comparison is a pair of runs made back to back (the order alternating by round), so
// that the machine's drifting load weighs on both sides alike; each round gives one ratio of the
// servers' throughput per CPU second (the inverse ratio of their CPU time per request), and the
// figure is the min / median / max of those ratios.
import { getStatus, serverYoungGenerationMiB, startServer, stopServer } from '../lib/processes.js';
import { incidents, loadRun } from '../lib/load.js';
import { ratioTarget } from '../lib/stats.js';

const WARMUP_SECONDS = 2;

/** @returns {Promise<{ rows: import('../lib/report.js').Row[], routeCpuMicros: Record<string, number[]> }>} */
export async function socketRows({ nestApp, bareHttp }, { rounds, seconds, log }) {
  const servers = {
    bare: await restartable(bareHttp, []),
    'express module': await restartable(nestApp, ['express', 'module']),
    'express plain': await restartable(nestApp, ['express', 'plain']),
    'express terminus': await restartable(nestApp, ['express', 'terminus']),
    'fastify module': await restartable(nestApp, ['fastify', 'module']),
    'fastify plain': await restartable(nestApp, ['fastify', 'plain']),
    'fastify terminus': await restartable(nestApp, ['fastify', 'terminus']),
    // The route pairs get module servers of their own: one that has just answered a flood of probes
    // carries that flood's garbage into the next run (measured on Fastify: /hello then took about 1.5
    // times the CPU per request, mostly in GC), which says nothing about what the module costs an
    // ordinary route.
    'express module (routes)': await restartable(nestApp, ['express', 'module']),
    'fastify module (routes)': await restartable(nestApp, ['fastify', 'module']),
  };
  const pairs = [];
  for (const adapter of ['express', 'fastify']) {
    const Adapter = adapter[0].toUpperCase() + adapter.slice(1);
    pairs.push(
      {
        label: `${Adapter}: probe GET /up, module ÷ bare node:http`,
        a: [`${adapter} module`, '/up'],
        b: ['bare', '/up'],
        target: ratioTarget('>=', 0.95),
      },
      {
        label: `${Adapter}: terminus controller GET /up ÷ bare node:http (reference)`,
        a: [`${adapter} terminus`, '/up'],
        b: ['bare', '/up'],
      },
      {
        label: `${Adapter}: ordinary route GET /hello, with ÷ without the module`,
        a: [`${adapter} module (routes)`, '/hello'],
        b: [`${adapter} plain`, '/hello'],
        target: ratioTarget('>=', 0.99),
      },
    );
  }
  const runs = new Map(pairs.map((pair) => [pair, { a: [], b: [], ratios: [], wall: [] }]));
  const youngGeneration = {};
  try {
    // Each server is warmed up on the paths it is measured on, and only those: a probe server that
    // had served a burst of /hello would carry that burst's heap into its probe runs.
    const measured = new Set(pairs.flatMap((pair) => [pair.a, pair.b].map(([name, path]) => `${name} ${path}`)));
    for (const key of measured) {
      const [name, path] = [key.slice(0, key.lastIndexOf(' ')), key.slice(key.lastIndexOf(' ') + 1)];
      const status = await getStatus(servers[name].port, path);
      if (status !== 200) throw new Error(`${name} ${path}: ${status}, not 200: the benchmark's apps are broken`);
      await loadRun(servers[name], path, WARMUP_SECONDS, `warm-up ${name} ${path}`);
    }
    for (let round = 0; round < rounds; round++) {
      for (const pair of pairs) {
        const run = (side) =>
          loadRun(servers[pair[side][0]], pair[side][1], seconds, `${pair.label}, round ${round + 1}`);
        const first = round % 2 === 0 ? 'a' : 'b';
        const second = first === 'a' ? 'b' : 'a';
        const result = {};
        result[first] = await run(first);
        result[second] = await run(second);
        if (result.a === undefined || result.b === undefined) continue;
        const record = runs.get(pair);
        record.a.push(result.a);
        record.b.push(result.b);
        record.ratios.push(result.b.cpuMicrosPerRequest / result.a.cpuMicrosPerRequest);
        record.wall.push(result.a.rps / result.b.rps);
      }
      log(
        `  round ${round + 1}/${rounds}: ` +
          pairs
            .map((pair) => `${pair.label.split(',')[0]} ${runs.get(pair).ratios.at(-1)?.toFixed(3) ?? '-'}`)
            .join('; '),
      );
    }
    // Why a probe may cost a Nest process more CPU than a bare server for the same instructions: its
    // short-lived objects land in a larger young generation, which the cache holds less of.
    for (const name of ['bare', 'express module', 'fastify module']) {
      youngGeneration[name] = await serverYoungGenerationMiB(servers[name]);
    }
  } finally {
    await Promise.all(Object.values(servers).map(stopServer));
  }
  const rows = pairs.map((pair) => {
    const { a, b, ratios, wall } = runs.get(pair);
    return { label: pair.label, a: side(a), b: side(b), values: ratios, wall, unit: 'ratio', target: pair.target };
  });
  for (const [name, mib] of Object.entries(youngGeneration)) {
    rows.push({
      label: `Young generation of the ${name} server after its probe runs (MiB)`,
      values: [mib],
      unit: 'size',
    });
  }
  /** Per adapter: CPU µs per request of GET /hello without the module, per round. */
  const routeCpuMicros = Object.fromEntries(
    ['express', 'fastify'].map((adapter) => [
      adapter,
      runs.get(pairs.find((pair) => pair.b[0] === `${adapter} plain`)).b.map((run) => run.cpuMicrosPerRequest),
    ]),
  );
  return { rows, routeCpuMicros };
}

/** A server that `loadRun` can start again (at most twice) should it exit: the run is retried, never the benchmark aborted. */
async function restartable(script, args) {
  const server = { ...(await startServer(script, args)), restarts: 0 };
  server.restart = async (why) => {
    if (server.restarts++ >= 2) throw new Error(`${why}, for the third time: giving up`);
    incidents.push(why);
    Object.assign(server, await startServer(script, args));
  };
  return server;
}

/** The median run of one side: requests per second, CPU per request, and how busy the server was. */
function side(results) {
  if (results.length === 0) return 'no run succeeded';
  const sorted = [...results].sort((x, y) => x.cpuMicrosPerRequest - y.cpuMicrosPerRequest);
  const mid = sorted[sorted.length >> 1];
  return `${Math.round(mid.rps)} req/s, ${mid.cpuMicrosPerRequest.toFixed(1)} µs CPU/req, ${Math.round(mid.busy * 100)}% busy`;
}
