// What upgate adds to an app's start-up: the import of each entry point (time, memory, and whether
// the YAML parser came with it), and the spawn of a NestJS app with the HealthModule to its first
// 200 on /up, without and with a Kamal deploy file. Not a test: it prints figures measured in this
// run, medians of BENCH_SPAWNS child processes each (default 15), run one after the other: wall-clock
// time, and the CPU time the process used, which a shared machine's load disturbs much less.
//   npm run bench:startup -w @upgate/health          (builds both packages first; BENCH_SPAWNS=15)
// It imports the packages as an app does (their dist/, through the workspace's node_modules). To
// compare with another checkout's build (its node_modules in place), give its root:
//   BENCH_COMPARE=/path/to/checkout npm run bench:startup -w @upgate/health
// The two are then measured in turns (this one, that one, ...), so that a load that comes and goes
// on a shared machine weighs on both alike. Entry points a checkout does not have are "n/a".
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importOnce } from './lib/import-cost.js';
import { median } from './lib/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const roots = [join(here, '..', '..', '..'), ...(process.env.BENCH_COMPARE ? [process.env.BENCH_COMPARE] : [])].map(
  (root) => resolve(root),
);
const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 15);

const work = mkdtempSync(join(tmpdir(), 'upgate-startup-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function cleanEnv() {
  return { PATH: process.env.PATH ?? '', NODE_ENV: 'production' };
}

/** Medians of one import in each checkout, measured in turns. */
async function measureImport(specifier) {
  const samples = roots.map(() => []);
  for (let i = 0; i < SPAWNS; i++) {
    for (const [index, root] of roots.entries()) {
      samples[index].push(await importOnce(specifier, root));
    }
  }
  return samples.map((list) =>
    list.some((s) => s.missing)
      ? undefined
      : {
          ms: median(list.map((s) => s.ms)),
          cpuMs: median(list.map((s) => s.cpuMs)),
          mib: median(list.map((s) => s.rss)) / 1024 / 1024,
          yaml: list.every((s) => s.yaml) ? 'yes' : list.some((s) => s.yaml) ? 'sometimes' : 'no',
        },
  );
}

// The app: Nest with Express and the HealthModule, written without decorators so that node runs it
// as is. With a deploy file it reads it the way the checkout supports: the module's deployFile
// option, or else (older checkouts) loadSettings({ deployFile }) spread into forRoot().
const APP = `
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as config from '@upgate/config';
import { HealthModule } from '@upgate/health';
const started = Number(process.argv[2]);
const deployFile = process.argv[3];
let options = { allowedHosts: ['127.0.0.1'], environment: 'production' };
if (deployFile) {
  let hasOption = true;
  try { await import('@upgate/config/kamal'); } catch { hasOption = false; }
  options = hasOption
    ? { deployFile, allowedHosts: ['127.0.0.1'], environment: 'production' }
    : { ...config.loadSettings({ deployFile, env: {}, options: { allowedHosts: ['127.0.0.1'], environment: 'production' } }) };
}
class AppModule {}
Module({ imports: [HealthModule.forRoot(options)] })(AppModule);
const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
console.log('listening ' + app.getHttpServer().address().port);
`;

const DEPLOY_YML = `service: bench
image: acme/bench
servers:
  web:
    - 192.0.2.10
proxy:
  host: 127.0.0.1
  app_port: 3000
  healthcheck:
    path: /up
`;

function firstOk(port) {
  return new Promise((done) => {
    const attempt = () => {
      const req = get({ host: '127.0.0.1', port, path: '/up', headers: { Host: '7c7168a662c1:3000' } }, (res) => {
        res.resume();
        if (res.statusCode === 200) done();
        else setTimeout(attempt, 2);
      });
      req.on('error', () => setTimeout(attempt, 2));
    };
    attempt();
  });
}

/** Medians of the spawn of the app to its first 200, in each checkout, in turns. */
async function spawnToFirstOk(deployFile) {
  const samples = roots.map(() => []);
  for (let i = 0; i < SPAWNS; i++) {
    for (const [index, root] of roots.entries()) samples[index].push(await spawnOnce(root, deployFile));
  }
  return samples.map((list) => ({
    elapsed: median(list.map((s) => s.elapsed)),
    cpuMs: median(list.map((s) => s.cpuMs)),
  }));
}

async function spawnOnce(root, deployFile) {
  const appFile = writeApp(root);
  const started = performance.now();
  const child = spawn(process.execPath, [appFile, String(started), ...(deployFile ? [deployFile] : [])], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...cleanEnv(), PORT: '3000' },
  });
  let output = '';
  const port = await new Promise((done, fail) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening (\d+)/.exec(output);
      if (match) done(Number(match[1]));
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => fail(new Error(`the app exited (${code}) before listening:\n${output}`)));
  });
  await firstOk(port);
  const elapsed = performance.now() - started;
  const cpuMs = cpuMsOf(child.pid);
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGKILL');
  await exited;
  return { elapsed, cpuMs };
}

/** CPU time (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, fields 14 and 15 of stat (11 and 12 after the name), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** The app, inside the checkout (so that it resolves the checkout's packages); out-tsc is ignored by git. */
function writeApp(root) {
  const dir = join(root, 'packages', 'health', 'out-tsc', 'startup-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'app.mjs');
  writeFileSync(file, APP);
  return file;
}

const fmt = (value, digits = 1) => (value === undefined ? 'n/a' : value.toFixed(digits));

const deployFile = join(work, 'deploy.yml');
writeFileSync(deployFile, DEPLOY_YML);

const columns = (values, format) => values.map((value) => format(value).padStart(24)).join('');
console.log(`upgate start-up cost, node ${process.version}, ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`);
console.log(`medians of ${SPAWNS} processes per figure${roots.length > 1 ? ', the checkouts measured in turns' : ''}`);
roots.forEach((root, index) => {
  const health = createRequire(join(root, 'package.json')).resolve('@upgate/health');
  console.log(`  [${index + 1}] ${root} (@upgate/health: ${health})`);
});
console.log(
  `\n${'import (ms, CPU ms, MiB, yaml)'.padEnd(32)}${columns(
    roots.map((_, i) => `[${i + 1}]`),
    String,
  )}`,
);
for (const specifier of ['yaml', '@upgate/config', '@upgate/config/kamal', '@upgate/config/check', '@upgate/health']) {
  const results = await measureImport(specifier);
  const cell = (r) => (r === undefined ? 'n/a' : `${fmt(r.ms)} ${fmt(r.cpuMs)} ${fmt(r.mib)} ${r.yaml}`);
  console.log(`${specifier.padEnd(32)}${columns(results, cell)}`);
}
console.log('\nNestJS + Express + HealthModule, spawn to first 200 on /up (ms, CPU ms of the app)');
const spawnCell = (v) => `${fmt(v.elapsed, 0)} ${fmt(v.cpuMs, 0)}`;
console.log(`${'  without a deploy file'.padEnd(32)}${columns(await spawnToFirstOk(), spawnCell)}`);
console.log(`${'  with a deploy file'.padEnd(32)}${columns(await spawnToFirstOk(deployFile), spawnCell)}`);
for (const root of roots)
  rmSync(join(root, 'packages', 'health', 'out-tsc', 'startup-bench'), { recursive: true, force: true });
