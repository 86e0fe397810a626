/**
 * The packages from the outside: packed, installed from their tarballs into a fresh NestJS 12 ESM
 * app and a fresh NestJS 11 CommonJS app in temporary folders outside the workspace (npm, from the
 * registry), compiled with plain tsc, started with node, and probed over real HTTP.
 *
 * nest12-esm: "type": "module", TypeScript 6, forRoot() with the settings from Kamal's deploy.yml.
 * nest11-cjs: CommonJS as the NestJS 11 starter makes it (module nodenext), TypeScript 5.9,
 *   forRootAsync() injecting terminus' HealthIndicatorService, hosts from ALLOWED_HOSTS, a Jest 29
 *   test with the README's transform settings. It loads the ESM packages with require(), which
 *   Node >= 20.19 does without a flag.
 * Both use Express, as the starters do; Fastify is covered by @upgate/health's own tests.
 */
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { ConsumerApp } from './support/consumer-app.js';
import { httpGet } from './support/http.js';
import { PACKAGES, packPackages, type PackedPackage } from './support/pack.js';

const KAMAL_PROXY = { host: '7c7168a662c1:8000', userAgent: 'kamal-proxy' } as const;
const KUBE_PROBE = { host: '10.42.0.17:3000', userAgent: 'kube-probe/1.31' } as const;
const DISALLOWED = "Bad Request: host not allowed (not in this server's allowed hosts).\n";

interface Consumer {
  readonly fixture: string;
  readonly nest: number;
  readonly module: 'esm' | 'commonjs';
  readonly env: Readonly<Record<string, string>>;
  /** What GET / answers with. */
  readonly appName: string;
  /** The bodies of the liveness and readiness probes: the status alone by default, terminus' result with probeDetails 'full'. */
  readonly upBody: unknown;
  readonly readyBody: unknown;
}

const CONSUMERS: readonly Consumer[] = [
  {
    fixture: 'nest12-esm',
    nest: 12,
    module: 'esm',
    env: { NODE_ENV: 'production' },
    appName: 'nest 12 esm',
    upBody: { status: 'ok' },
    readyBody: { status: 'ok' },
  },
  {
    fixture: 'nest11-cjs',
    nest: 11,
    module: 'commonjs',
    env: { NODE_ENV: 'production', ALLOWED_HOSTS: 'app.example.com,admin.example.com' },
    appName: 'nest 11 cjs',
    upBody: { status: 'ok', info: {}, error: {}, details: {} },
    readyBody: { status: 'ok', info: { app: { status: 'up' } }, error: {}, details: { app: { status: 'up' } } },
  },
];

/** Run in the app's folder: where the app, and @upgate/health from its own folder, find each module. */
const RESOLUTIONS_SCRIPT = `
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const fromApp = createRequire(join(process.cwd(), 'package.json'));
const fromHealth = createRequire(join(dirname(fromApp.resolve('@upgate/health/package.json')), 'package.json'));
const shared = ['@nestjs/common', '@nestjs/core', '@nestjs/terminus', '@upgate/config'];
console.log(JSON.stringify({
  app: Object.fromEntries([...shared, '@upgate/health'].map((name) => [name, fromApp.resolve(name)])),
  health: Object.fromEntries(shared.map((name) => [name, fromHealth.resolve(name)])),
  nest: fromApp('@nestjs/core/package.json').version,
  requireModule: process.features.require_module === true,
}));
`;

/**
 * Run in the app's folder: whether the yaml package is loaded after every entry point but the Kamal
 * reader, then after it; and whether the Kamal reader's error is the class the app imports from
 * `@upgate/config` (the bundled entry points share it through a chunk, not a copy each).
 */
const YAML_SCRIPT = `
const loaded = () => Object.keys(require.cache).some((file) => /[\\\\/]node_modules[\\\\/]yaml[\\\\/]/.test(file));
require('@upgate/health');
const { UpgateConfigError } = require('@upgate/config');
require('@upgate/config/check');
require('@upgate/config/internal');
const withPackages = loaded();
const { readKamalDeployFile } = require('@upgate/config/kamal');
let sameErrorClass;
try { readKamalDeployFile('missing/deploy.yml'); } catch (error) { sameErrorClass = error instanceof UpgateConfigError; }
console.log(JSON.stringify({ withPackages, withKamalReader: loaded(), sameErrorClass }));
`;

interface Resolutions {
  app: Record<string, string>;
  health: Record<string, string>;
  nest: string;
  requireModule: boolean;
}

let packDir: string;
let packs: PackedPackage[];

beforeAll(async () => {
  packDir = await mkdtemp(join(tmpdir(), 'upgate-consumer-packs-'));
  packs = await packPackages(packDir);
});

afterAll(async () => {
  if (packDir !== undefined) await rm(packDir, { recursive: true, force: true });
});

describe.each(CONSUMERS)('a NestJS $nest app ($fixture)', (consumer) => {
  let app: ConsumerApp;
  let port: number;

  beforeAll(async () => {
    app = await ConsumerApp.create(consumer.fixture, packs);
    await app.install();
    await app.tsc();
    port = await app.start(consumer.env);
  });

  afterAll(async () => {
    await app?.dispose();
  });

  test('has the packages from the tarballs: real folders in its node_modules, with the manifests as packed, no nested copy', async () => {
    const lock = JSON.parse(await readFile(join(app.dir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string }>;
    };
    for (const pack of packs) {
      const installed = join(app.dir, 'node_modules', pack.name);
      expect((await lstat(installed)).isSymbolicLink()).toBe(false);
      expect(lock.packages[`node_modules/${pack.name}`]?.resolved).toBe(
        `file:tarballs/${pack.tarball.split(sep).pop()}`,
      );
      const workspaceManifest = JSON.parse(
        await readFile(join(PACKAGES.find((p) => p.name === pack.name)?.dir ?? '', 'package.json'), 'utf8'),
      ) as unknown;
      expect(JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'))).toEqual(workspaceManifest);
      // The workspace-only condition's target is not there: nothing of the sources was published.
      expect(existsSync(join(installed, 'src'))).toBe(false);
    }
    expect(existsSync(join(app.dir, 'node_modules/@upgate/health/node_modules'))).toBe(false);
  });

  test("resolves every module inside its own folder, and @upgate/health shares the app's @nestjs/*, terminus and @upgate/config", async () => {
    const { stdout } = await app.node(['-e', RESOLUTIONS_SCRIPT]);
    const resolutions = JSON.parse(stdout) as Resolutions;
    expect(resolutions.nest.split('.')[0]).toBe(String(consumer.nest));
    const inApp = `${app.dir}/node_modules/`;
    for (const path of [...Object.values(resolutions.app), ...Object.values(resolutions.health)]) {
      expect(path.startsWith(inApp)).toBe(true);
    }
    expect(resolutions.app['@upgate/health']).toBe(`${inApp}@upgate/health/dist/index.js`);
    expect(resolutions.app['@upgate/config']).toBe(`${inApp}@upgate/config/dist/index.js`);
    const shared = Object.fromEntries(Object.entries(resolutions.app).filter(([name]) => name !== '@upgate/health'));
    expect(resolutions.health).toEqual(shared);
  });

  test('compiles with plain tsc against the packed declarations, nothing outside its folder', async () => {
    const { stdout } = await app.tsc(['--listFilesOnly']);
    const files = stdout.split('\n').filter((line) => line !== '');
    expect(files.filter((file) => !file.startsWith(`${app.dir}/`))).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        `${app.dir}/node_modules/@upgate/health/dist/index.d.ts`,
        `${app.dir}/node_modules/@upgate/config/dist/index.d.ts`,
      ]),
    );
    const compiled = await readFile(join(app.dir, 'dist/app.module.js'), 'utf8');
    expect(compiled).toContain(consumer.module === 'esm' ? `from '@upgate/health';` : `require("@upgate/health")`);
  });

  test("answers kamal-proxy's probe (Host: the container id) with 200, before the app's middleware", async () => {
    const reply = await httpGet(port, { path: '/up', ...KAMAL_PROXY });
    expect({
      status: reply.status,
      body: JSON.parse(reply.body) as unknown,
      type: reply.headers['content-type'],
      cache: reply.headers['cache-control'],
    }).toEqual({
      status: 200,
      body: consumer.upBody,
      type: 'application/json; charset=utf-8',
      cache: 'no-store',
    });
    expect(reply.headers['x-app-middleware']).toBeUndefined();
  });

  test('answers a Kubernetes readiness probe (Host: the pod IP) with 200 after running its terminus indicator', async () => {
    const reply = await httpGet(port, { path: '/ready', ...KUBE_PROBE });
    expect({ status: reply.status, body: JSON.parse(reply.body) as unknown }).toEqual({
      status: 200,
      body: consumer.readyBody,
    });
  });

  test("rejects a disallowed Host with 400 before the app's middleware", async () => {
    const reply = await httpGet(port, { path: '/', host: 'evil.example' });
    expect({ status: reply.status, body: reply.body, middleware: reply.headers['x-app-middleware'] }).toEqual({
      status: 400,
      body: DISALLOWED,
      middleware: undefined,
    });
  });

  test('serves an allowed Host with 200 and gives the route the checked host (@CheckedHost)', async () => {
    const reply = await httpGet(port, { path: '/', host: 'App.Example.com.' });
    expect({
      status: reply.status,
      body: JSON.parse(reply.body) as unknown,
      middleware: reply.headers['x-app-middleware'],
    }).toEqual({
      status: 200,
      body: { app: consumer.appName, host: 'app.example.com' },
      middleware: 'ran',
    });
  });

  test("@AllowHosts narrows a route: HostGuard, built by the app's injector with its Reflector, admits admin.example.com and refuses app.example.com", async () => {
    const admin = await httpGet(port, { path: '/admin', host: 'admin.example.com' });
    const other = await httpGet(port, { path: '/admin', host: 'app.example.com' });
    expect([admin.status, JSON.parse(admin.body)]).toEqual([200, { admin: true }]);
    // The guard's message names the route's list: the host is in the server's.
    expect([other.status, JSON.parse(other.body)]).toEqual([
      400,
      { statusCode: 400, message: "Bad Request: host not allowed (not in this route's allowed hosts)." },
    ]);
  });

  test("has @upgate/config's upgate command on its PATH", async () => {
    const { stdout } = await app.node([join(app.dir, 'node_modules/.bin/upgate'), '--help']);
    expect(stdout.startsWith('Usage: upgate <command> [options]\n')).toBe(true);
  });

  if (consumer.module === 'esm') {
    test('passes `upgate check --app` with its own start command: what the app resolved from its deploy file, in check mode', async () => {
      const { code, stdout } = await app.node(
        [join(app.dir, 'node_modules/.bin/upgate'), 'check', '--port', '3000', '--app', 'node dist/main.js'],
        { allowFailure: true, timeoutMs: 60_000 },
      );
      expect(stdout).toContain(
        '  probe paths    /up, /ready  (config/deploy.yml:13: proxy.healthcheck.path plus the probes option)\n',
      );
      expect(stdout).toContain('  deploy file    config/deploy.yml\n');
      expect({ code, end: stdout.slice(-16) }).toEqual({ code: 0, end: '\n\nno mismatches\n' });
    });
  }

  if (consumer.module === 'commonjs') {
    test('loads the YAML parser only with the Kamal reader: an app that reads no deploy file does without it; the reader throws the UpgateConfigError of @upgate/config', async () => {
      const { stdout } = await app.node(['-e', YAML_SCRIPT]);
      expect(JSON.parse(stdout)).toEqual({ withPackages: false, withKamalReader: true, sameErrorClass: true });
    });

    test('loads the ESM packages with require(): Node has require(esm) on', async () => {
      const { stdout } = await app.node(['-e', RESOLUTIONS_SCRIPT]);
      expect((JSON.parse(stdout) as Resolutions).requireModule).toBe(true);
    });

    test('stops on bad settings with the error the app recognises by class: one @upgate/config across require() and import', async () => {
      const { code, stderr } = await app.node(['dist/main.js'], {
        env: { ...consumer.env, ALLOWED_HOSTS: 'https://app.example.com' },
        allowFailure: true,
      });
      expect(code).toBe(78);
      expect(stderr).toContain(
        `upgate: invalid settings (1 problem):\n  - ALLOWED_HOSTS: "https://app.example.com" is a URL; write the host alone: "app.example.com"\n`,
      );
    });

    test("runs its Jest tests (CommonJS, Jest 29) with the README's transformIgnorePatterns for @upgate/*", async () => {
      const result = await app.node([join(app.dir, 'node_modules/jest/bin/jest.js'), '--ci'], {
        env: consumer.env,
        allowFailure: true,
        timeoutMs: 120_000,
      });
      expect({ code: result.code, tests: /^Tests: .*$/m.exec(result.stderr)?.[0] }).toEqual({
        code: 0,
        tests: 'Tests:       2 passed, 2 total',
      });
    });

    test('type-checks with the older module commonjs (node10 resolution) too', async () => {
      const result = await app.tsc(
        [
          '--noEmit',
          '--incremental',
          'false',
          '--module',
          'commonjs',
          '--moduleResolution',
          'node10',
          '--resolvePackageJsonExports',
          'false',
        ],
        true,
      );
      expect({ code: result.code, output: result.stdout }).toEqual({ code: 0, output: '' });
    });
  }
});
