/**
 * `upgate check` (the real bin, spawned) on the demo's own deploy file, and on broken copies of it:
 * each mismatch is reported with its file and line, and errors make it exit 1.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { readKamalDeployFile } from '@upgate/config/kamal';
import { PROBE_OPTION_DEFAULTS } from '@upgate/health';
import { PROBE_TIMEOUT_MS } from '../src/health/readiness.js';
import {
  cleanUp,
  DEMO_MAIN,
  DEMO_ROOT,
  DEPLOY_YML,
  deployCopy,
  freePort,
  kamalProxyHealthCheck,
  replace,
  REPO_ROOT,
  spawnDemo,
  tempDir,
  UPGATE_BIN,
  withAppPort,
} from './support/demo-process.js';

afterAll(cleanUp);

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function upgate(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [UPGATE_BIN, ...args],
      { cwd, env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        done({ status: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * The image's environment (the ENV of the Dockerfile's last stage) as a dotenv file; `upgate check`
 * reads what Kamal adds (env.clear) from the deploy file itself.
 */
function productionEnvFile(deployFile: string): string {
  const dockerfile = readFileSync(join(DEMO_ROOT, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, name, value] of runtime.matchAll(/^ENV (\w+)=(\S+)$/gm)) if (name && value) env[name] = value;
  if (env['NODE_ENV'] !== 'production')
    throw new Error('the image no longer sets NODE_ENV=production: update the test');
  // Next to a copy's config/; for the demo's own file, outside the source tree.
  const project = dirname(dirname(deployFile));
  const file = join(project === DEMO_ROOT ? tempDir() : project, '.env.production');
  writeFileSync(
    file,
    Object.entries(env)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(''),
  );
  return file;
}

/** Checks a deploy file from its project directory, as the demo's image runs it (its probe deadline, its environment). */
function check(deployFile: string, extra: string[] = []): Promise<Run> {
  const cwd = dirname(dirname(deployFile));
  const envFile = productionEnvFile(deployFile);
  const shown = relative(cwd, envFile).startsWith('..') ? envFile : relative(cwd, envFile);
  return upgate(['check', '--env-file', shown, '--probe-timeout', String(PROBE_TIMEOUT_MS), ...extra], cwd);
}

/** `config/deploy.yml:<line>` of a key in a copy. */
function at(deployFile: string, key: string): string {
  const location = readKamalDeployFile(deployFile).locate(key);
  if (!location) throw new Error(`${key} is not written in ${deployFile}`);
  return `config/deploy.yml:${location.line}`;
}

describe("upgate check on the demo's own files", () => {
  it('finds no mismatch, from the app directory, with the env file of the image and the deploy file', async () => {
    const run = await check(DEPLOY_YML);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      /^upgate check: config\/deploy\.yml against the app's settings \(NODE_ENV production\), assuming the app reads this deploy file and no code of it sets them \(--app "<start command>" checks the app itself\)\n/,
    );
    expect(run.stdout).toMatch(/\n\nno mismatches\n$/);
    expect(run.status).toBe(0);
  });

  it('finds no mismatch from the repository root with -c, as the README runs it', async () => {
    const run = await upgate(
      ['check', '-c', 'apps/demo/config/deploy.yml', '--probe-timeout', String(PROBE_TIMEOUT_MS)],
      REPO_ROOT,
    );
    expect(run.stdout).toContain('  trust proxy    false  (TRUST_PROXY in apps/demo/config/deploy.yml:');
    expect(run.stdout).toContain(
      'upgate check: apps/demo/config/deploy.yml against the app\'s settings (NODE_ENV production), assuming the app reads this deploy file and no code of it sets them (--app "<start command>" checks the app itself)\n',
    );
    expect(run.stdout).toMatch(/\n\nno mismatches\n$/);
    expect(run.status).toBe(0);
  });
});

describe("upgate check's defaults", () => {
  it("assumes @upgate/health's default probe deadline when --probe-timeout is not given", async () => {
    const run = await upgate(['check', '--json'], DEMO_ROOT);
    expect(JSON.parse(run.stdout).app).toMatchObject({
      probeTimeoutMs: PROBE_OPTION_DEFAULTS.probeTimeoutMs,
      sources: { probeTimeoutMs: 'the default of @upgate/health' },
    });
  });
});

describe('upgate check on broken copies of the demo', () => {
  it('reports a health-check path the app does not answer as a probe (HEALTH_PROBE_PATHS in env.clear)', async () => {
    const file = deployCopy((text) =>
      replace(
        replace(text, 'path: /up', 'path: /healthz'),
        '    TRUST_PROXY: "false"\n',
        '    TRUST_PROXY: "false"\n    HEALTH_PROBE_PATHS: /up\n',
      ),
    );
    const run = await check(file);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `${at(file, 'proxy.healthcheck.path')}: error: proxy.healthcheck.path [probe-path]\n  kamal-proxy checks proxy.healthcheck.path '/healthz', which is not a probe path of the app`,
    );
    expect(run.stdout).toMatch(/\n1 error\n$/);
  });

  it('reports a proxy host the allowlist (ALLOWED_HOSTS in env.clear) does not cover', async () => {
    const file = deployCopy((text) =>
      replace(text, '    TRUST_PROXY: "false"\n', '    TRUST_PROXY: "false"\n    ALLOWED_HOSTS: demo.example.com\n'),
    );
    const run = await check(file);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `${at(file, 'proxy.hosts[1]')}: error: proxy.hosts[1] [host-not-allowed]\n  kamal-proxy routes 'admin.demo.example.com' to the app, but the app's allowed hosts ('demo.example.com', from ALLOWED_HOSTS in ${at(file, 'env.clear.ALLOWED_HOSTS')} (env.clear.ALLOWED_HOSTS))`,
    );
  });

  it('reports an app port other than proxy.app_port (PORT in env.clear)', async () => {
    const file = deployCopy((text) =>
      replace(text, '    TRUST_PROXY: "false"\n', '    TRUST_PROXY: "false"\n    PORT: "8080"\n'),
    );
    const run = await check(file);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `${at(file, 'proxy.app_port')}: error: proxy.app_port [app-port]\n  kamal-proxy sends requests and probes to proxy.app_port 3000, but the app listens on 8080, from PORT in ${at(file, 'env.clear.PORT')} (env.clear.PORT)`,
    );
  });

  it("reports a health-check timeout not longer than the app's probe deadline", async () => {
    const file = deployCopy((text) => replace(text, 'timeout: 5', 'timeout: 3'));
    const run = await check(file);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `${at(file, 'proxy.healthcheck.timeout')}: error: proxy.healthcheck.timeout [healthcheck-timeout]\n  kamal-proxy gives up on a health check after 3 s (proxy.healthcheck.timeout), but the app lets a probe's checks run for up to ${PROBE_TIMEOUT_MS} ms, from --probe-timeout`,
    );
  });

  it('warns (exit 0: a warning is no error) about ssl without forward_headers while the app trusts forwarded headers', async () => {
    const file = deployCopy((text) => replace(text, 'TRUST_PROXY: "false"', 'TRUST_PROXY: "true"'));
    const run = await check(file);
    expect(run.stdout).toContain(
      `${at(file, 'proxy.ssl')}: warning: proxy.ssl [forwarded-headers]\n  proxy.ssl is on and proxy.forward_headers is not`,
    );
    expect(run.stdout).toMatch(/\n1 warning\n$/);
    expect(run.status).toBe(0);
  });

  it('reports a health-check path the app would redirect', async () => {
    const file = deployCopy((text) =>
      replace(
        replace(text, 'path: /up', 'path: /status'),
        '    TRUST_PROXY: "false"\n',
        '    TRUST_PROXY: "false"\n    HEALTH_PROBE_PATHS: /up\n    ALLOWED_HOSTS: "*"\n',
      ),
    );
    const run = await check(file, ['--https-redirect']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `${at(file, 'proxy.healthcheck.path')}: error: proxy.healthcheck.path [probe-redirect]\n  the app redirects plain HTTP to https://, and kamal-proxy's probe of '/status' reaches the app's code`,
    );
  });

  it('reports every mismatch of a copy broken in every way at once, as JSON too', async () => {
    const file = deployCopy((text) =>
      replace(
        replace(replace(text, 'path: /up', 'path: /healthz'), 'timeout: 5', 'timeout: 2'),
        '    TRUST_PROXY: "false"\n',
        '    TRUST_PROXY: "true"\n    ALLOWED_HOSTS: demo.example.com\n    PORT: "8080"\n    HEALTH_PROBE_PATHS: /up\n',
      ),
    );
    const human = await check(file);
    expect(human.status).toBe(1);
    expect(human.stdout).toMatch(/\n4 errors, 1 warning\n$/);
    const json = await check(file, ['--json']);
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as {
      findings: { rule: string; severity: string; key: string; location?: { line: number } }[];
    };
    expect(report.findings.map((f) => `${f.severity} ${f.rule} ${f.key}`)).toEqual([
      'error host-not-allowed proxy.hosts[1]',
      'error app-port proxy.app_port',
      'error probe-path proxy.healthcheck.path',
      'error healthcheck-timeout proxy.healthcheck.timeout',
      'warning forwarded-headers proxy.ssl',
    ]);
  });
});

/** A copy of the demo's deploy file whose health check is `/health`, for an app that does not read it. */
const HEALTH_PATH = (text: string): string => replace(text, 'path: /up', 'path: /health');
/** The demo reading no deploy file: its hosts from the environment, its probe paths upgate's default and its code's. */
const WITHOUT_DEPLOY_FILE = { DEPLOY_FILE: 'none', ALLOWED_HOSTS: 'demo.example.com,admin.demo.example.com' };
/**
 * DATABASE_URL is a Kamal secret, unknown until Kamal deploys: the app needs a well-formed one to
 * start, and check mode never connects; as the Dockerfile's build-stage check gives it.
 */
const BUILD_DATABASE = { DATABASE_URL: 'postgres://build-check@database.invalid/upgate_demo' };

describe('upgate check --app: the demo itself, run in check mode', () => {
  it('finds no mismatch with the demo as built, and shows what the app resolved, from where', async () => {
    const run = await upgate(['check', '--app', 'node dist/main.js'], DEMO_ROOT, BUILD_DATABASE);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      [
        'upgate check: config/deploy.yml against the app started with "node dist/main.js" (NODE_ENV production)',
        '  allowed hosts  demo.example.com, admin.demo.example.com  (config/deploy.yml:17: proxy.hosts)',
        '  probe paths    /up, /ready, /startup  (config/deploy.yml:27: proxy.healthcheck.path plus the probes option)',
        '  port           3000  (config/deploy.yml:21: proxy.app_port, passed to app.listen())',
        '  trust proxy    false  (TRUST_PROXY in config/deploy.yml:52 (env.clear.TRUST_PROXY))',
        `  probe timeout  ${PROBE_TIMEOUT_MS} ms  (the probeTimeoutMs option)`,
        '  deploy file    config/deploy.yml',
        '',
        'no mismatches',
        '',
      ].join('\n'),
    );
    expect(run.status).toBe(0);
  });

  it('fails an app that does not answer the health-check path, naming the path, and passes once it is fixed', async () => {
    const broken = deployCopy(HEALTH_PATH);
    const project = dirname(dirname(broken));
    const run = await upgate(['check', '--app', `node ${DEMO_MAIN}`], project, {
      ...WITHOUT_DEPLOY_FILE,
      ...BUILD_DATABASE,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `${at(broken, 'proxy.healthcheck.path')}: error: proxy.healthcheck.path [probe-path]\n` +
        "  kamal-proxy checks proxy.healthcheck.path '/health', which is not a probe path of the app ('/up', '/ready', '/startup', from upgate's default plus the probes option), so upgate applies the host check to it",
    );
    expect(run.stdout).toContain(
      "  fix: add '/health' to the app's probe paths (HEALTH_PROBE_PATHS or the probePaths option), or set proxy.healthcheck.path to one of them ('/up', '/ready', '/startup')\n",
    );
    expect(run.stdout).toContain('  deploy file    none: the app reads no deploy file\n');
    expect(run.stdout).toMatch(/\n1 error\n$/);

    const fixed = await upgate(['check', '--app', `node ${DEMO_MAIN}`], project, {
      ...WITHOUT_DEPLOY_FILE,
      ...BUILD_DATABASE,
      HEALTH_PROBE_PATHS: '/health',
    });
    expect(fixed.stdout).toContain(
      '  probe paths    /health, /ready, /startup  (HEALTH_PROBE_PATHS (environment) plus the probes option)\n',
    );
    expect(fixed.stdout).toMatch(/\n\nno mismatches\n$/);
    expect(fixed.status).toBe(0);
  });

  it('checks a destination deploy as Kamal runs it: -d gives the app KAMAL_DESTINATION, and the demo reads that overlay', async () => {
    const base = deployCopy();
    const project = dirname(dirname(base));
    writeFileSync(
      join(project, 'config', 'deploy.staging.yml'),
      'proxy:\n  hosts:\n    - staging.example.com\n    - admin.staging.example.com\n',
    );
    const env = { ...BUILD_DATABASE, DEPLOY_FILE: base };
    const staging = await upgate(['check', '-d', 'staging', '--app', `node ${DEMO_MAIN}`], project, env);
    expect(staging.stdout).toContain(
      '  allowed hosts  staging.example.com, admin.staging.example.com  (config/deploy.staging.yml:2: proxy.hosts)\n',
    );
    expect(staging.stdout).toContain('  deploy file    config/deploy.yml (destination staging)\n');
    expect(staging.stdout).toMatch(/\n\nno mismatches\n$/);
    expect(staging.status).toBe(0);
    // Kamal without -d sets no KAMAL_DESTINATION: the app reads the file alone.
    const plain = await upgate(['check', '--app', `node ${DEMO_MAIN}`], project, env);
    expect(plain.stdout).toContain(
      '  allowed hosts  demo.example.com, admin.demo.example.com  (config/deploy.yml:17: proxy.hosts)\n',
    );
    expect(plain.stdout).toMatch(/\n\nno mismatches\n$/);
  });

  it('fails an app port other than proxy.app_port (the image built for another APP_PORT), naming where the port comes from', async () => {
    const run = await upgate(['check', '--port', '8080', '--app', 'node dist/main.js'], DEMO_ROOT, BUILD_DATABASE);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `config/deploy.yml:21: error: proxy.app_port [app-port]\n  kamal-proxy sends requests and probes to proxy.app_port 3000, but the app listens on 8080, from --port: nothing answers`,
    );
    expect(run.stdout).toContain("  fix: set proxy.app_port to 8080, or the app's PORT to 3000\n");
  });
});

describe('upgate check --url: the demo running, reached as kamal-proxy and the public reach it', () => {
  it('finds no mismatch with the demo on its own deploy file', async () => {
    const port = await freePort();
    const file = deployCopy(withAppPort(port));
    const demo = spawnDemo({ NODE_ENV: 'production', DEPLOY_FILE: file });
    await kamalProxyHealthCheck(port, demo);
    const run = await upgate(['check', '--url', `http://127.0.0.1:${port}`], dirname(dirname(file)));
    expect(run.stdout).toMatch(
      new RegExp(
        [
          `^upgate check: config/deploy\\.yml against the app at http://127\\.0\\.0\\.1:${port}, reached as kamal-proxy and the public reach it`,
          '  GET /  Host: unlisted\\.upgate-check\\.invalid  -> 400 .* in \\d+ ms \\(rejected\\)',
          '  GET /  Host: demo\\.example\\.com  -> 404 .* in \\d+ ms \\(not rejected\\)',
          '  GET /  Host: admin\\.demo\\.example\\.com  -> 404 .* in \\d+ ms \\(not rejected\\)',
          `  GET /up  Host: 7c7168a662c1:${port}  User-Agent: kamal-proxy  -> 200 "\\{\\\\"status\\\\":\\\\"ok\\\\"\\}" in \\d+ ms`,
          '',
          'no mismatches\n$',
        ].join('\n'),
      ),
    );
    expect(run.status).toBe(0);
    demo.child.kill('SIGTERM');
    await demo.exited;
  });

  it('fails an app that does not answer the health-check path, naming the path, and passes once it is fixed', async () => {
    const port = await freePort();
    const broken = deployCopy((text) => HEALTH_PATH(withAppPort(port)(text)));
    const demo = spawnDemo({ NODE_ENV: 'production', PORT: String(port), ...WITHOUT_DEPLOY_FILE });
    await kamalProxyHealthCheck(port, demo);
    const run = await upgate(['check', '--url', `http://127.0.0.1:${port}`], dirname(dirname(broken)));
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `${at(broken, 'proxy.healthcheck.path')}: error: proxy.healthcheck.path [preflight-probe]\n` +
        `  GET /health with Host '7c7168a662c1:${port}' and User-Agent 'kamal-proxy', as kamal-proxy checks the new container, got 400 `,
    );
    expect(run.stdout).toContain(
      "the app's host check rejected it, so '/health' is not one of the app's probe paths (they are answered whatever the Host)",
    );

    const fixed = deployCopy(withAppPort(port));
    const again = await upgate(['check', '--url', `http://127.0.0.1:${port}`], dirname(dirname(fixed)));
    expect(again.stdout).toMatch(/\n\nno mismatches\n$/);
    expect(again.status).toBe(0);
    demo.child.kill('SIGTERM');
    await demo.exited;
  });
});
