// Start-up: a NestJS app spawned to its first 200 on GET /up, with the module and without it (a
// controller answers /up there), in pairs (the order alternating), on the server core; the CPU time
// the process used by then, and its resident memory. Beside them, the import of each package alone.
import { importOnce } from '../lib/import-cost.js';
import { getStatus, rssMiB, serverCpuMicros, startServer, stopServer } from '../lib/processes.js';
import { median, ratioTarget } from '../lib/stats.js';

/** @returns {Promise<import('../lib/report.js').Row[]>} */
export async function spawnRows({ nestApp }, { spawns, workspace }) {
  const rows = [];
  for (const adapter of ['express', 'fastify']) {
    const Adapter = adapter[0].toUpperCase() + adapter.slice(1);
    const samples = { module: [], plain: [] };
    for (let i = 0; i < spawns; i++) {
      for (const variant of i % 2 === 0 ? ['module', 'plain'] : ['plain', 'module']) {
        samples[variant].push(await spawnToFirst200(nestApp, adapter, variant));
      }
    }
    const text = (list) =>
      `${Math.round(median(list.map((s) => s.ms)))} ms, ${Math.round(median(list.map((s) => s.cpuMs)))} ms CPU, ` +
      `${median(list.map((s) => s.rss)).toFixed(1)} MiB`;
    rows.push(
      {
        label: `${Adapter}: spawn to the first 200 on /up, CPU time with ÷ without the module`,
        a: text(samples.module),
        b: text(samples.plain),
        values: samples.module.map((s, i) => s.cpuMs / samples.plain[i].cpuMs),
        wall: samples.module.map((s, i) => s.ms / samples.plain[i].ms),
        unit: 'ratio',
        target: ratioTarget('<=', 1.03),
      },
      {
        label: `${Adapter}: RSS after the first 200, with − without the module (MiB)`,
        values: samples.module.map((s, i) => s.rss - samples.plain[i].rss),
        unit: 'MiB',
        target: { op: '<=', value: 1, margin: 1 },
      },
    );
  }
  // @upgate/health after what a NestJS app loads anyway: its own cost.
  const nest = ['reflect-metadata', '@nestjs/common', '@nestjs/core'];
  for (const [specifier, first] of [
    ['@upgate/config', []],
    ['@upgate/config/kamal', []],
    ['@upgate/health', nest],
  ]) {
    const results = [];
    for (let i = 0; i < spawns; i++) results.push(await importOnce(specifier, workspace, first));
    const yaml = results.every((r) => r.yaml) ? 'yes' : results.some((r) => r.yaml) ? 'sometimes' : 'no';
    rows.push({
      label: `import '${specifier}'${first.length ? ' after NestJS' : ''} (CPU ms; YAML parser loaded: ${yaml})`,
      a: `${median(results.map((r) => r.rss / 2 ** 20)).toFixed(1)} MiB more resident memory`,
      values: results.map((r) => r.cpuMs),
      unit: 'ms',
    });
  }
  return rows;
}

async function spawnToFirst200(nestApp, adapter, variant) {
  const server = await startServer(nestApp, [adapter, variant]);
  try {
    const status = await getStatus(server.port, '/up');
    const ms = performance.now() - server.started;
    if (status !== 200) throw new Error(`${adapter} ${variant}: /up answered ${status}`);
    return { ms, cpuMs: (await serverCpuMicros(server)) / 1000, rss: rssMiB(server.child.pid) };
  } finally {
    await stopServer(server);
  }
}
