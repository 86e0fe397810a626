// The cost of upgate, measured in one run. Not a test: it prints every figure with its spread
// (median, min and max over rounds), the ratios and the machine's load, judges each against its
// target as met, missed or "not resolved" (its rounds spread wider than the effect it measures), and
// writes bench/results.md and bench/results.svg.
//   npm run bench -w @upgate/health
//   BENCH_ROUNDS (sockets, 10), BENCH_SECONDS (per run, 2), BENCH_SPAWNS (pairs, 10),
//   BENCH_DECISION_ROUNDS (in-process, 11), BENCH_INSTRUCTION_WINDOWS (3),
//   BENCH_ONLY=matcher,decisions,sockets,instructions,spawn (some parts; then nothing is written)
// The parts:
// - matcher: @upgate/config's host matcher, decisions per CPU second (its own benchmark);
// - decisions: in one process, what the server gate costs per decision on parsed requests and what
//   the framework costs per request, and from them the module's share of an ordinary request;
// - sockets: servers loaded over real sockets, each comparison a back-to-back pair per round:
//   the probe against a bare node:http server, an ordinary route with and without the module;
// - instructions: the same comparisons counted in instructions per request (valgrind's callgrind),
//   which the machine's load does not move;
// - spawn: start-up to the first 200 and memory, with and without the module; import costs.
// Small costs are measured as CPU time (what the kernel counts for the server), which a shared
// machine's neighbours move much less than throughput; wall-clock ratios are shown beside them.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBenchApps } from './build.js';
import { incidents, LOADGEN } from './lib/load.js';
import { canPin, CLIENT_CORE, pinThisProcess, SERVER_CORE } from './lib/processes.js';
import { chart, consoleTable, markdownTable, verdictOf } from './lib/report.js';
import { median } from './lib/stats.js';
import { decisionRows } from './sections/decisions.js';
import { hasCallgrind, instructionRows } from './sections/instructions.js';
import { matcherRows } from './sections/matcher.js';
import { socketRows } from './sections/sockets.js';
import { spawnRows } from './sections/spawn.js';

pinThisProcess(fileURLToPath(import.meta.url));

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 10);
const WINDOWS = Number(process.env.BENCH_INSTRUCTION_WINDOWS ?? 3);
const ONLY = process.env.BENCH_ONLY?.split(',');
const runs = (part) => ONLY === undefined || ONLY.includes(part);

const started = performance.now();
const loads = [loadavg()[0]];
const machine = `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`;
const pinning = canPin
  ? `measured processes on core ${SERVER_CORE}, this one and the load generator on core ${CLIENT_CORE}`
  : 'nothing pinned (taskset unavailable)';
console.log(`upgate benchmark: ${machine}; ${pinning}; load average ${loads[0].toFixed(2)} at start`);

const apps = await buildBenchApps();
const parts = [
  ['matcher', 'host matcher (@upgate/config)', () => matcherRows()],
  ['decisions', 'in-process: gate decisions and the framework per request', () => decisionRows(apps.decisionsApp)],
  [
    'sockets',
    `over sockets: ${ROUNDS} rounds of back-to-back pairs, ${SECONDS} s a run, ${LOADGEN}`,
    () => socketRows(apps, { rounds: ROUNDS, seconds: SECONDS, log: console.log }),
  ],
  [
    'instructions',
    hasCallgrind
      ? `instructions per request under callgrind: ${WINDOWS} counted windows per server`
      : 'instructions per request: skipped, valgrind is not installed (scripts/bench-tools.sh installs it as root)',
    () => (hasCallgrind ? instructionRows(apps, { windows: WINDOWS, log: console.log }) : []),
  ],
  [
    'spawn',
    `start-up: ${SPAWNS} pairs of spawns per adapter, ${SPAWNS} imports per package`,
    () => spawnRows(apps, { spawns: SPAWNS, workspace: join(here, '../../..') }),
  ],
];
const rows = [];
const results = {};
for (const [name, title, measure] of parts) {
  if (!runs(name)) continue;
  const began = performance.now();
  console.log(`\n${name}: ${title}`);
  results[name] = await measure();
  const measured = Array.isArray(results[name]) ? results[name] : results[name].rows;
  loads.push(loadavg()[0]);
  console.log(consoleTable(measured));
  console.log(`(${((performance.now() - began) / 1000).toFixed(0)} s; load average ${loads.at(-1).toFixed(2)})`);
  rows.push(...measured);
}

// The module's share of an ordinary request: its in-process cost (each round) over what the same
// request costs the server without the module over sockets (the median of its runs).
if (results.decisions !== undefined && results.sockets !== undefined) {
  for (const adapter of ['express', 'fastify']) {
    const Adapter = adapter[0].toUpperCase() + adapter.slice(1);
    const requestMicros = median(results.sockets.routeCpuMicros[adapter]);
    const costNs = results.decisions.moduleCostNs[adapter];
    rows.push({
      label: `${Adapter}: the module's share of an ordinary request (in-process cost ÷ CPU per request over sockets)`,
      values: costNs.map((ns) => ns / 10 / requestMicros),
      unit: '%',
      derivation: `${Math.round(median(costNs))} ns ÷ ${requestMicros.toFixed(1)} µs CPU per GET /hello without the module`,
      target: { op: '<=', value: 1, margin: 1 },
    });
  }
}

const minutes = ((performance.now() - started) / 60_000).toFixed(1);
const loadText = `load average ${loads.map((load) => load.toFixed(2)).join(', ')} (at start and after each part)`;
console.log(`\nall figures\n${consoleTable(rows)}`);
if (incidents.length > 0) console.log(`\nretried runs:\n${incidents.map((line) => `  ${line}`).join('\n')}`);
const counts = {};
for (const row of rows) counts[verdictOf(row)] = (counts[verdictOf(row)] ?? 0) + 1;
console.log(
  `\n${Object.entries(counts)
    .map(([verdict, count]) => `${count} ${verdict}`)
    .join(', ')}`,
);
console.log(`${minutes} min; ${loadText}`);

if (ONLY !== undefined) {
  console.log('BENCH_ONLY: results.md and results.svg left as they were');
} else {
  const date = new Date().toISOString().slice(0, 10);
  const markdown = [
    '# upgate benchmark',
    '',
    `Written by \`npm run bench -w @upgate/health\` (bench/run.js) on ${date}: ${machine}; ${pinning}; ${loadText}; ` +
      `${minutes} min. Sockets: ${ROUNDS} rounds of back-to-back pairs (order alternating), ${SECONDS} s a run, ${LOADGEN}. ` +
      `Spawns: ${SPAWNS} pairs per adapter.`,
    '',
    '**How to read it.** Each figure is the median of its rounds with their range. A ratio over sockets compares ' +
      "the servers' CPU time per request (throughput per CPU second); on a shared machine a neighbour's cache traffic " +
      'still moves it by tens of percent. A ratio by instructions compares the instructions the server ran per request ' +
      '(callgrind), which no neighbour moves, but which is blind to cache misses. A figure is *met* or *missed* when ' +
      'every round says so, or when its rounds disagree but spread ' +
      "over less than the target's margin (its distance from no difference; a tenth of an absolute target) and the " +
      'median decides; otherwise it is **not resolved**: the noise is wider than the effect.',
    '',
    markdownTable(rows),
    '',
    ...(incidents.length > 0
      ? [
          'Runs retried (an error or timeout is the machine’s, never an abort):',
          '',
          ...incidents.map((line) => `- ${line}`),
          '',
        ]
      : []),
    '![ratios against their targets](results.svg)',
    '',
  ].join('\n');
  writeFileSync(join(here, 'results.md'), markdown);
  writeFileSync(join(here, 'results.svg'), chart(rows));
  console.log(`wrote ${join(here, 'results.md')} and results.svg`);
}
