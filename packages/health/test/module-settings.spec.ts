/**
 * Where the module's settings come from: Kamal's deploy file as a source of its own (a path, or the
 * file already read), development that just works with it, warnings logged once at start-up, and
 * every problem (the probes' included) in one error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { UpgateConfigError } from '@upgate/config';
import { readDeployFile } from '@upgate/config/kamal';
import { getSettingsResolutionToken, HealthModule, type HealthModuleOptions } from '../src/index.js';
import type { HealthSettingsResolution } from '../src/resolve-health-settings.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { rawRequest } from './support/raw-http.js';
import { ADAPTERS, type AdapterName, createAdapter, startApp } from './support/test-app.js';

const DEPLOY_YML = `service: app
image: acme/app
servers:
  web:
    - 192.0.2.10
proxy:
  hosts:
    - app.example.com
    - admin.example.com
  app_port: 3000
  healthcheck:
    path: /healthz
`;

let dir: string;
let deployFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'upgate-module-settings-'));
  deployFile = join(dir, 'deploy.yml');
  writeFileSync(deployFile, DEPLOY_YML);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `fn` with these variables set (and NODE_ENV removed unless given), restoring them after. */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const names = ['NODE_ENV', 'PORT', 'ALLOWED_HOSTS', 'HEALTH_PROBE_PATHS', 'TRUST_PROXY', ...Object.keys(env)];
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  for (const name of names) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

async function status(port: number, path: string, host: string): Promise<number> {
  return (await rawRequest(port, { target: path, headers: [['Host', host]] })).status;
}

async function failure(options: HealthModuleOptions, adapter: AdapterName): Promise<UpgateConfigError> {
  @Module({ imports: [HealthModule.forRoot(options)] })
  class BadModule {}
  try {
    await NestFactory.create(BadModule, createAdapter(adapter), { logger: false, abortOnError: false });
  } catch (error) {
    if (error instanceof UpgateConfigError) return error;
    throw error;
  }
  throw new Error('expected an UpgateConfigError');
}

describe.each(ADAPTERS)('HealthModule settings over %s', (adapter: AdapterName) => {
  test("reads Kamal's deploy file: its hosts are allowed, its health-check path answered whatever the Host", async () => {
    await withEnv({ NODE_ENV: 'production' }, async () => {
      const logger = new CapturingLogger();
      const t = await startApp(adapter, { health: { deployFile, logger } });
      try {
        expect(logger.messages('warn')).toEqual([]);
        expect(await status(t.port, '/healthz', '7c7168a662c1:3000')).toBe(200);
        expect(await status(t.port, '/', 'admin.example.com')).toBe(200);
        expect(await status(t.port, '/', 'evil.example')).toBe(400);
        const resolution = t.app.get<HealthSettingsResolution>(getSettingsResolutionToken());
        expect(resolution.origins.allowedHosts.map((o) => o.name)).toEqual([`${deployFile}:7: proxy.hosts`]);
        expect(resolution.deployFile?.path).toBe(deployFile);
      } finally {
        await t.close();
      }
    });
  });

  test('takes the deploy file already read, and adds the keys of probes to its probe path', async () => {
    await withEnv({ NODE_ENV: 'production' }, async () => {
      const t = await startApp(adapter, {
        health: { deployFile: readDeployFile(deployFile), probes: { '/ready': [] } },
      });
      try {
        expect(await status(t.port, '/healthz', '10.0.0.8:3000')).toBe(200);
        expect(await status(t.port, '/ready', '10.0.0.8:3000')).toBe(200);
        expect(await status(t.port, '/up', '10.0.0.8:3000')).toBe(400);
      } finally {
        await t.close();
      }
    });
  });

  test('in development: localhost as well as the deploy file hosts, PORT over proxy.app_port, and one warning line for it', async () => {
    await withEnv({ PORT: '4000' }, async () => {
      const logger = new CapturingLogger();
      const t = await startApp(adapter, { health: { deployFile, logger } });
      const startup = logger.lines.filter((l) => l.level === 'warn');
      try {
        expect(await status(t.port, '/', `localhost:${t.port}`)).toBe(200);
        expect(await status(t.port, '/', 'app.example.com')).toBe(200);
        expect(await status(t.port, '/', 'evil.example')).toBe(400);
        expect(t.app.get<HealthSettingsResolution>(getSettingsResolutionToken()).settings?.port).toBe(4000);
        // Logged at start-up, before any request (whose rejections are warn lines too).
        expect(startup).toEqual([
          {
            level: 'warn',
            context: 'upgate',
            message: `PORT: "4000" differs from proxy.app_port 3000 (${deployFile}:10), the port kamal-proxy sends requests and probes to; make them equal (only development starts with this)`,
          },
        ]);
      } finally {
        await t.close();
      }
    });
  });

  test('logs an overridden setting once, at start-up, naming both', async () => {
    await withEnv({ NODE_ENV: 'production', HEALTH_PROBE_PATHS: '/health' }, async () => {
      const logger = new CapturingLogger();
      const t = await startApp(adapter, { health: { allowedHosts: ['app.example.com'], probePaths: ['/up'], logger } });
      const startup = logger.lines.filter((l) => l.level === 'warn');
      try {
        expect(await status(t.port, '/up', '10.0.0.8:3000')).toBe(200);
        expect(await status(t.port, '/health', '10.0.0.8:3000')).toBe(400);
        // Logged at start-up, before any request (whose rejections are warn lines too).
        expect(startup).toEqual([
          {
            level: 'warn',
            context: 'upgate',
            message: 'HEALTH_PROBE_PATHS: "/health" is overridden by the probePaths option ["/up"]',
          },
        ]);
      } finally {
        await t.close();
      }
    });
  });

  test('in production, refuses what would fail the deploy, and lists every problem at once, the probes included', async () => {
    const error = await withEnv({ NODE_ENV: 'production', PORT: '8080', TRUST_PROXY: 'yes' }, () =>
      failure(
        {
          deployFile,
          probePaths: ['/up'],
          probes: { ready: [], '/live': 'none' as never },
          rejectLogWindowMs: 0,
        },
        adapter,
      ),
    );
    expect(error.problems.map((p) => `${p.setting}: ${p.value} ${p.message}`)).toEqual([
      'TRUST_PROXY: "yes" is not true or false; write true, false, or a comma-separated list of addresses, networks, "loopback" and "private", e.g. TRUST_PROXY=loopback,10.0.0.0/8',
      `probes['ready']: "ready" is not an absolute path; write "/ready"`,
      `probePaths: ["/up"] leaves out "/healthz", the path kamal-proxy checks (${deployFile}:12: proxy.healthcheck.path); its probes (Host: the container id) would be rejected and the deploy would never turn healthy; add it: ["/up","/healthz"]`,
      `PORT: "8080" differs from proxy.app_port 3000 (${deployFile}:10), the port kamal-proxy sends requests and probes to; make them equal`,
      `probes['/live']: "none" is not a list of health indicators; write an array such as [() => db.pingCheck('database')], or [] for none`,
      'rejectLogWindowMs: 0 is not a duration; write a whole number of milliseconds from 1 to 2147483647 (e.g. 60000)',
    ]);
  });

  test('reports a deploy file that cannot be read, and a destination without one, with the rest', async () => {
    const missing = await withEnv({ NODE_ENV: 'production' }, () =>
      failure({ deployFile: join(dir, 'nope.yml'), allowedHosts: ['https://a.example'] }, adapter),
    );
    expect(missing.message).toBe(
      [
        'upgate: invalid settings (2 problems):',
        '  - allowedHosts[0]: "https://a.example" is a URL; write the host alone: "a.example"',
        `  - ${join(dir, 'nope.yml')}: is not there (looked in ${process.cwd()}); give the path of Kamal's deploy file, e.g. "config/deploy.yml"`,
      ].join('\n'),
    );
    const lone = await withEnv({}, () => failure({ destination: 'staging' }, adapter));
    expect(lone.message).toBe(
      'upgate: invalid settings (1 problem):\n  - destination: "staging" is given without deployFile, so there is nothing to merge it into; give deployFile: \'config/deploy.yml\' as well',
    );
    const wrong = await withEnv({}, () => failure({ deployFile: 42 as never }, adapter));
    expect(wrong.problems[0]?.message).toBe(
      "must be the path of Kamal's deploy file, e.g. 'config/deploy.yml', or the file read with readDeployFile() of '@upgate/config/kamal'",
    );
  });
});
