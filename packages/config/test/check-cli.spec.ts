import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CHECK_HELP } from '../src/cli/check-command.js';
import { main, UPGATE_HELP } from '../src/cli/upgate.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const DEPLOY = `service: shop
image: acme/shop
servers:
  web:
    - 192.0.2.10
proxy:
  host: shop.example.com
  app_port: 3000
  ssl: true
  healthcheck:
    path: /up
    timeout: 5
registry:
  username: acme
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
`;

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'upgate-cli-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Runs `upgate <argv>` in-process, as the bin does, with the given environment and directory. */
async function run(argv: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  let stdout = '';
  let stderr = '';
  const status = await main(argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: options.env ?? {},
    cwd: options.cwd ?? project({ 'config/deploy.yml': DEPLOY }),
  });
  return { status, stdout, stderr };
}

describe('upgate check: the report', () => {
  it('prints the settings compared, where each came from, and "no mismatches", with status 0', async () => {
    const result = await run(['check']);
    expect(result).toEqual({
      status: 0,
      stderr: '',
      stdout: [
        'upgate check: config/deploy.yml against the app\'s settings (NODE_ENV production), assuming the app reads this deploy file and no code of it sets them (--app "<start command>" checks the app itself)',
        '  allowed hosts  shop.example.com  (config/deploy.yml:7: proxy.host, which the app reads)',
        '  probe paths    /up  (config/deploy.yml:11: proxy.healthcheck.path, which the app reads)',
        '  port           3000  (config/deploy.yml:8: proxy.app_port, which the app reads)',
        "  trust proxy    false  (upgate's default)",
        '  probe timeout  3000 ms  (the default of @upgate/health)',
        '',
        'no mismatches',
        '',
      ].join('\n'),
    });
  });

  it('prints each mismatch as file:line: severity: key [rule], message and fix, errors first, and exits 1', async () => {
    const cwd = project({ 'config/deploy.yml': DEPLOY });
    const result = await run(['check', '--probe-paths', '/health', '--trust-proxy', 'true', '--port', '3000'], { cwd });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(
      [
        'upgate check: config/deploy.yml against the app\'s settings (NODE_ENV production), assuming the app reads this deploy file and no code of it sets them (--app "<start command>" checks the app itself)',
        '  allowed hosts  shop.example.com  (config/deploy.yml:7: proxy.host, which the app reads)',
        '  probe paths    /health  (--probe-paths)',
        '  port           3000  (--port)',
        '  trust proxy    true  (--trust-proxy)',
        '  probe timeout  3000 ms  (the default of @upgate/health)',
        '',
        'config/deploy.yml:11: error: proxy.healthcheck.path [probe-path]',
        "  kamal-proxy checks proxy.healthcheck.path '/up', which is not a probe path of the app ('/health', from --probe-paths), so upgate applies the host check to it, and kamal-proxy's Host '<container-id>:3000' is not allowed: 400, and the deploy times out.",
        "  fix: add '/up' to the app's probe paths (HEALTH_PROBE_PATHS), or set proxy.healthcheck.path to one of them ('/health')",
        '',
        'config/deploy.yml:9: warning: proxy.ssl [forwarded-headers]',
        '  proxy.ssl is on and proxy.forward_headers is not, so kamal-proxy does not pass on the X-Forwarded-For/-Proto/-Host it receives: it sends its own (the address it sees, https, the Host). The app trusts forwarded headers (trustProxy true, from --trust-proxy), which only makes sense for values set by a proxy in front of kamal-proxy, and those never arrive',
        "  fix: if a proxy or CDN in front of kamal-proxy sets X-Forwarded-*, set proxy.forward_headers: true; if kamal-proxy is the edge, set the app's TRUST_PROXY to false",
        '',
        '1 error, 1 warning',
        '',
      ].join('\n'),
    );
  });

  it('exits 0 with warnings only', async () => {
    expect((await run(['check', '--trust-proxy', 'private'])).status).toBe(0);
  });

  it('prints JSON for machines with --json', async () => {
    const result = await run(['check', '--allowed-hosts', 'other.example.com', '--json']);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      deployFile: 'config/deploy.yml',
      destination: null,
      app: {
        allowedHosts: ['other.example.com'],
        probePaths: ['/up'],
        port: 3000,
        trustProxy: false,
        probeTimeoutMs: 3000,
        environment: 'production',
      },
      counts: { errors: 1, warnings: 0, notes: 0 },
    });
    expect(report['findings']).toEqual([
      {
        rule: 'host-not-allowed',
        severity: 'error',
        key: 'proxy.host',
        location: { file: 'config/deploy.yml', line: 7 },
        message:
          "kamal-proxy routes 'shop.example.com' to the app, but the app's allowed hosts ('other.example.com', from --allowed-hosts) do not allow it: every request for it gets 400",
        fix: "add 'shop.example.com' to the app's allowed hosts (ALLOWED_HOSTS), or remove it from proxy.host",
      },
    ]);
  });
});

describe("upgate check: where the app's settings come from", () => {
  const files = {
    'config/deploy.yml': DEPLOY,
    '.env.production': '# the app in production\nNODE_ENV=production\nPORT=5000\n',
  };

  it('takes a flag over an env file, an env file over the environment, and the environment over the deploy file', async () => {
    const cwd = project(files);
    const env = { PORT: '4000', ALLOWED_HOSTS: 'shop.example.com' };
    const viaEnv = await run(['check', '--json'], { cwd, env });
    expect(JSON.parse(viaEnv.stdout).app.sources).toMatchObject({
      port: 'PORT (environment)',
      allowedHosts: 'ALLOWED_HOSTS (environment)',
    });
    const viaFile = await run(['check', '--env-file', '.env.production', '--json'], { cwd, env });
    expect(JSON.parse(viaFile.stdout).app).toMatchObject({
      port: 5000,
      sources: { port: 'PORT in .env.production:3' },
    });
    expect(JSON.parse(viaFile.stdout).findings[0].message).toContain(
      'but the app listens on 5000, from PORT in .env.production:3',
    );
    const viaFlag = await run(['check', '--env-file', '.env.production', '--port', '3000', '--json'], { cwd, env });
    expect(JSON.parse(viaFlag.stdout)).toMatchObject({
      app: { port: 3000, sources: { port: '--port' } },
      findings: [],
    });
  });

  it("reports a setting the app would refuse, as the app's loader words it, naming where it was given", async () => {
    const cwd = project({ ...files, '.env.production': 'ALLOWED_HOST=shop.example.com\nHEALTH_PROBE_PATHS=up\n' });
    const result = await run(['check', '--env-file', '.env.production'], { cwd });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      [
        '.env.production:1: error: ALLOWED_HOST [invalid-settings]',
        '  "shop.example.com" is not read by upgate; did you mean ALLOWED_HOSTS?',
        '  fix: the app refuses to start with it; correct it',
      ].join('\n'),
    );
    expect(result.stdout).toContain('.env.production:2: error: HEALTH_PROBE_PATHS [invalid-settings]\n  "up" ');
    const fromEnv = await run(['check'], { env: { TRUST_PROXY: 'yes' } });
    expect(fromEnv.stdout).toContain(
      'app settings: error: [invalid-settings]\n  TRUST_PROXY (environment): "yes" is not true or false;',
    );
    expect(result.stdout).toMatch(/2 errors\n$/);
  });

  it('with --no-deploy-fallback, takes nothing from the deploy file: no allowed hosts in production is an error', async () => {
    const result = await run(['check', '--no-deploy-fallback']);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      [
        'app settings: error: [invalid-settings]',
        '  the app has no allowed hosts, which only development allows (NODE_ENV is "production"): it refuses to start',
        '  fix: give ALLOWED_HOSTS (or --allowed-hosts), or proxy.host in config/deploy.yml',
      ].join('\n'),
    );
  });

  it("with --no-deploy-fallback in development, compares upgate's development allowlist (which rejects the proxy host) and notes the unknown port", async () => {
    const result = await run(['check', '--no-deploy-fallback', '--json'], { env: { NODE_ENV: 'development' } });
    const report = JSON.parse(result.stdout);
    expect(report.app).toMatchObject({
      allowedHosts: ['.localhost', '127.0.0.1', '[::1]'],
      environment: 'development',
    });
    expect(report.findings.map((f: { rule: string; severity: string }) => `${f.severity} ${f.rule}`)).toEqual([
      'error host-not-allowed',
      'info app-port',
    ]);
  });
});

describe("upgate check: the environment Kamal gives the container (the deploy file's env)", () => {
  const withEnv = (env: string) =>
    project({ 'config/deploy.yml': `${DEPLOY}${env}`, '.env.production': 'PORT=3000\n' });

  it('reads env.clear over the env files, under the flags, naming the line', async () => {
    const cwd = withEnv('env:\n  clear:\n    PORT: 8080\n    TRUST_PROXY: "false"\n');
    const result = await run(['check', '--env-file', '.env.production'], { cwd });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('  port           8080  (PORT in config/deploy.yml:21 (env.clear.PORT))\n');
    expect(result.stdout).toContain(
      'config/deploy.yml:8: error: proxy.app_port [app-port]\n  kamal-proxy sends requests and probes to proxy.app_port 3000, but the app listens on 8080, from PORT in config/deploy.yml:21 (env.clear.PORT)',
    );
    expect((await run(['check', '--env-file', '.env.production', '--port', '3000'], { cwd })).status).toBe(0);
  });

  it("reads a plain env mapping and the primary role's env over the root's", async () => {
    const plain = await run(['check', '--json'], { cwd: withEnv('env:\n  ALLOWED_HOSTS: other.example.com\n') });
    expect(JSON.parse(plain.stdout).app.sources.allowedHosts).toBe(
      'ALLOWED_HOSTS in config/deploy.yml:20 (env.ALLOWED_HOSTS)',
    );
    const role = DEPLOY.replace(
      '  web:\n    - 192.0.2.10\n',
      '  web:\n    hosts:\n      - 192.0.2.10\n    env:\n      clear:\n        PORT: 9090\n',
    );
    const cwd = project({ 'config/deploy.yml': `${role}env:\n  clear:\n    PORT: 8080\n` });
    expect(JSON.parse((await run(['check', '--json'], { cwd })).stdout).app).toMatchObject({
      port: 9090,
      sources: { port: 'PORT in config/deploy.yml:9 (servers.web.env.clear.PORT)' },
    });
  });

  it('reports a misspelt variable at its line in the deploy file', async () => {
    const result = await run(['check'], { cwd: withEnv('env:\n  clear:\n    ALLOWED_HOST: shop.example.com\n') });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      'config/deploy.yml:21: error: ALLOWED_HOST [invalid-settings]\n  "shop.example.com" is not read by upgate; did you mean ALLOWED_HOSTS?\n',
    );
  });

  it('notes a setting that comes from a Kamal secret, unless given as a flag', async () => {
    const cwd = withEnv('env:\n  secret:\n    - ALLOWED_HOSTS\n');
    const result = await run(['check'], { cwd });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      'config/deploy.yml:21: note: env.secret [invalid-settings]\n' +
        '  ALLOWED_HOSTS comes from a Kamal secret, whose value is known only when Kamal deploys, so the check used the value the app would have without it\n' +
        "  fix: pass --allowed-hosts with the secret's value to check it\n",
    );
    expect(result.stdout).toMatch(/\nno mismatches \(1 note\)\n$/);
    expect((await run(['check', '--allowed-hosts', 'shop.example.com'], { cwd })).stdout).toMatch(
      /\n\nno mismatches\n$/,
    );
  });
});

describe('upgate check: a deploy file Kamal would reject', () => {
  it('reports its problems with file and line, and exits 1', async () => {
    const cwd = project({ 'config/deploy.yml': DEPLOY.replace('  healthcheck:\n', '  helthcheck:\n') });
    const result = await run(['check'], { cwd });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      'config/deploy.yml:10: error: proxy.helthcheck [invalid-settings]\n  is not a Kamal proxy setting (Kamal rejects unknown keys); did you mean healthcheck?\n',
    );
  });

  it('reports a missing file', async () => {
    const cwd = project({});
    const result = await run(['check', '-c', 'deploy.yml'], { cwd });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      `app settings: error: [invalid-settings]\n  deploy.yml: is not there (looked in ${cwd}); give the path of Kamal's deploy file, e.g. "config/deploy.yml"`,
    );
  });

  it('reads the destination overlay with -d', async () => {
    const cwd = project({
      'config/deploy.yml': DEPLOY,
      'config/deploy.staging.yml': 'proxy:\n  host: staging.example.com\n',
    });
    const result = await run(['check', '-d', 'staging', '--allowed-hosts', 'shop.example.com'], { cwd });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      "config/deploy.staging.yml:2: error: proxy.host [host-not-allowed]\n  kamal-proxy routes 'staging.example.com' to the app",
    );
  });
});

describe('upgate: usage', () => {
  it('prints the help of check and of upgate', async () => {
    expect(await run(['check', '--help'])).toEqual({ status: 0, stdout: CHECK_HELP, stderr: '' });
    expect(await run(['--help'])).toEqual({ status: 0, stdout: UPGATE_HELP, stderr: '' });
    expect(await run([])).toEqual({ status: 2, stdout: UPGATE_HELP, stderr: '' });
  });

  it.each([
    [['check', '--bogus'], 'upgate check: unknown option --bogus\nSee: upgate check --help\n'],
    [['check', 'extra'], 'upgate check: unexpected argument "extra"\nSee: upgate check --help\n'],
    [
      ['check', '--trailing-slash-redirect', 'yes'],
      'upgate check: --trailing-slash-redirect "yes" is not a redirect; write add (/up -> /up/) or strip (/up/ -> /up)\nSee: upgate check --help\n',
    ],
    [
      ['check', '--probe-timeout', '3s'],
      'upgate check: --probe-timeout "3s" is not a duration; write a whole number of milliseconds, e.g. 3000\nSee: upgate check --help\n',
    ],
    [
      ['check', '--env-file', 'missing.env'],
      'upgate check: --env-file "missing.env" cannot be read (ENOENT)\nSee: upgate check --help\n',
    ],
    [['deploy'], `upgate: unknown command "deploy"\n\n${UPGATE_HELP}`],
  ])('%j exits 2 with a precise message', async (argv, stderr) => {
    expect(await run(argv)).toEqual({ status: 2, stdout: '', stderr });
  });
});
