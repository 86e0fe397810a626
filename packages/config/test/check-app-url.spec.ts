/**
 * `upgate check --app` and `--url` against real processes and real HTTP servers: an app script that
 * answers check mode as HealthModule does (the module's own check mode is tested in
 * @upgate/health, and end to end on the built demo), and node:http servers that behave as an app
 * behind upgate does, or does not.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AppSettingsReport, SettingOrigin, SettingSource } from '../src/index.js';
import { main } from '../src/cli/upgate.js';

const dirs: string[] = [];
const servers: Server[] = [];
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
});

const DEPLOY = `service: shop
image: acme/shop
servers:
  web:
    - 192.0.2.10
proxy:
  hosts:
    - shop.example.com
    - "*.shop.example.com"
  app_port: 3000
  healthcheck:
    path: /up
    timeout: 5
`;

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'upgate-cli-app-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

async function run(argv: string[], cwd: string, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const status = await main(argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { PATH: process.env['PATH'] ?? '', ...env },
    cwd,
  });
  return { status, stdout, stderr };
}

const origin = (source: SettingSource, key: string, name: string): SettingOrigin => ({ source, key, name });

/** What HealthModule reports for an app with `probePaths: ['/health']` in code and no deploy file. */
const REPORT: AppSettingsReport = {
  format: 'upgate-app-settings/1',
  settings: {
    allowedHosts: ['.shop.example.com'],
    probePaths: ['/health', '/ready'],
    trustProxy: false,
    rejectStatus: 400,
    environment: 'production',
  },
  origins: {
    allowedHosts: [origin('environment', 'ALLOWED_HOSTS', 'ALLOWED_HOSTS')],
    probePaths: [
      origin('option', 'probePaths', 'the probePaths option'),
      origin('option', 'probes', 'the probes option'),
    ],
    trustProxy: [origin('default', 'trustProxy', "upgate's default")],
    rejectStatus: [origin('default', 'rejectStatus', "upgate's default")],
    environment: [origin('environment', 'NODE_ENV', 'NODE_ENV')],
    port: [origin('default', 'port', 'not set: the app decides')],
  },
  problems: [],
  warnings: [],
  probeTimeoutMs: { value: 3000, origin: origin('default', 'probeTimeoutMs', "@upgate/health's default") },
  probeChecks: { '/health': 0, '/ready': 1 },
  listen: { port: 3000 },
};

/** An app script that writes `report` where UPGATE_CHECK says and exits, as HealthModule does at listen(). */
function appWriting(report: unknown): string {
  return [
    "import { writeFileSync } from 'node:fs';",
    `writeFileSync(process.env.UPGATE_CHECK, ${JSON.stringify(JSON.stringify(report))});`,
    "console.log('NODE_ENV ' + process.env.NODE_ENV + ', ALLOWED_HOSTS ' + process.env.ALLOWED_HOSTS);",
  ].join('\n');
}

describe('upgate check --app', () => {
  it('compares what the app reports, names the code option to change, and says what it could not have seen', async () => {
    const cwd = project({ 'config/deploy.yml': DEPLOY, 'app.mjs': appWriting(REPORT) });
    const result = await run(['check', '--app', 'node app.mjs'], cwd, { ALLOWED_HOSTS: '.shop.example.com' });
    expect(result.stdout).toBe(
      [
        'upgate check: config/deploy.yml against the app started with "node app.mjs" (NODE_ENV production)',
        '  allowed hosts  .shop.example.com  (ALLOWED_HOSTS (environment))',
        '  probe paths    /health, /ready  (the probePaths option plus the probes option)',
        '  port           3000  (app.listen(3000))',
        "  trust proxy    false  (upgate's default)",
        "  probe timeout  3000 ms  (@upgate/health's default)",
        '  deploy file    none: the app reads no deploy file',
        '',
        'config/deploy.yml:12: error: proxy.healthcheck.path [probe-path]',
        "  kamal-proxy checks proxy.healthcheck.path '/up', which is not a probe path of the app ('/health', '/ready', from the probePaths option plus the probes option), so upgate applies the host check to it, and kamal-proxy's Host '<container-id>:3000' is not allowed: 400, and the deploy times out.",
        "  fix: add '/up' to the app's probe paths (the probePaths option), or set proxy.healthcheck.path to one of them ('/health', '/ready')",
        '',
        '1 error',
        '',
      ].join('\n'),
    );
    expect(result.status).toBe(1);
  });

  it("runs the command in the container's environment: the deploy file's env, NODE_ENV production when given nowhere", async () => {
    const report = { ...REPORT, settings: { ...REPORT.settings, probePaths: ['/up'] }, probeChecks: { '/up': 0 } };
    const script = `${appWriting(report)}\nif (process.env.ALLOWED_HOSTS !== 'shop.example.com' || process.env.NODE_ENV !== 'production') process.exit(9);`;
    const cwd = project({
      'config/deploy.yml': `${DEPLOY}env:\n  clear:\n    ALLOWED_HOSTS: shop.example.com\n`,
      'app.mjs': script,
    });
    const result = await run(['check', '--app', 'node app.mjs'], cwd);
    expect(result.stdout).toMatch(/\n\nno mismatches\n$/);
    expect(result.status).toBe(0);
  });

  it('gives the app KAMAL_DESTINATION for -d, as kamal deploy -d gives the container, and none without', async () => {
    const staging = 'proxy:\n  hosts:\n    - staging.shop.example.com\n';
    const report = (destination?: string) => ({
      ...REPORT,
      settings: { ...REPORT.settings, allowedHosts: ['.shop.example.com'], probePaths: ['/up'] },
      probeChecks: { '/up': 0 },
      deployFile: { file: 'config/deploy.yml', path: 'PATH', ...(destination ? { destination } : {}) },
    });
    // The app reads the destination Kamal gives it, and reports the deploy file it read.
    const script = [
      "import { writeFileSync } from 'node:fs';",
      "import { join } from 'node:path';",
      `const reports = ${JSON.stringify({ staging: report('staging'), none: report() })};`,
      "const report = reports[process.env.KAMAL_DESTINATION ?? 'none'];",
      "report.deployFile.path = join(process.cwd(), 'config/deploy.yml');",
      'writeFileSync(process.env.UPGATE_CHECK, JSON.stringify(report));',
    ].join('\n');
    const cwd = project({ 'config/deploy.yml': DEPLOY, 'config/deploy.staging.yml': staging, 'app.mjs': script });
    const env = { ALLOWED_HOSTS: '.shop.example.com' };

    const withDestination = await run(['check', '-d', 'staging', '--app', 'node app.mjs'], cwd, env);
    expect(withDestination.stdout).toMatch(/\n\nno mismatches\n$/);
    expect(withDestination.status).toBe(0);
    const without = await run(['check', '--app', 'node app.mjs'], cwd, env);
    expect(without.stdout).toMatch(/\n\nno mismatches\n$/);
    // The app left without the destination reads the file without it: the check says so.
    const mismatch = await run(['check', '-d', 'staging', '--app', 'env -u KAMAL_DESTINATION node app.mjs'], cwd, env);
    expect(mismatch.stdout).toContain(
      'the app reads config/deploy.yml, not the deploy file checked here (destination staging)',
    );
  });

  it('warns when the app reads another deploy file than the one checked, and when the health check runs dependency checks', async () => {
    const cwd = project({ 'config/deploy.yml': DEPLOY.replace('path: /up', 'path: /ready') });
    writeFileSync(
      join(cwd, 'app.mjs'),
      appWriting({
        ...REPORT,
        deployFile: { file: 'config/deploy.staging.yml', path: join(cwd, 'config/deploy.staging.yml') },
      }),
    );
    const result = await run(['check', '--app', 'node app.mjs', '--json'], cwd, { ALLOWED_HOSTS: '.shop.example.com' });
    const report = JSON.parse(result.stdout) as { findings: { rule: string; severity: string; message: string }[] };
    expect(report.findings.map((f) => `${f.severity} ${f.rule}`)).toEqual([
      'warning deploy-file-differs',
      'warning probe-checks',
    ]);
    expect(report.findings[1]?.message).toBe(
      "kamal-proxy checks '/ready', which runs 1 health indicator in the app: a slow or failing dependency fails the deploy (after deploy_timeout) although the app itself is up",
    );
    expect(result.status).toBe(0);
  });

  it("reports the app's own problems with the line they are given at, and still compares a contradiction with the deploy file", async () => {
    const cwd = project({
      'config/deploy.yml': `${DEPLOY}env:\n  clear:\n    TRUST_PROXY: "yes"\n`,
      'app.mjs': appWriting({
        ...REPORT,
        settings: undefined,
        problems: [
          {
            setting: 'TRUST_PROXY',
            value: '"yes"',
            message: 'is not true or false',
          },
        ],
        listen: undefined,
      }),
    });
    const result = await run(['check', '--app', 'node app.mjs'], cwd);
    expect(result.stdout).toContain(
      'config/deploy.yml:16: error: TRUST_PROXY [invalid-settings]\n  "yes" is not true or false\n  fix: the app refuses to start with it; correct it\n',
    );
    expect(result.status).toBe(1);

    const contradiction = project({
      'config/deploy.yml': DEPLOY,
      'app.mjs': appWriting({
        ...REPORT,
        settings: { ...REPORT.settings, probePaths: ['/up'], port: 8080 },
        origins: { ...REPORT.origins, port: [origin('environment', 'PORT', 'PORT')] },
        problems: [{ setting: 'PORT', value: '"8080"', message: 'differs', contradicts: 'proxy.app_port' }],
        listen: undefined,
      }),
    });
    const compared = await run(['check', '--app', 'node app.mjs', '--json'], contradiction, { PORT: '8080' });
    expect((JSON.parse(compared.stdout) as { findings: { rule: string; fix: string }[] }).findings).toEqual([
      expect.objectContaining({
        rule: 'app-port',
        fix: "set proxy.app_port to 8080, or the app's PORT to 3000",
      }),
    ]);
  });

  it('says why an app could not be checked: it wrote no report, or took too long (and is stopped)', async () => {
    const cwd = project({
      'config/deploy.yml': DEPLOY,
      'quits.mjs': "console.error('Error: Cannot find module @nestjs/core'); process.exit(3);",
      'hangs.mjs': "console.log('connecting to the database'); setInterval(() => undefined, 1000);",
    });
    const quits = await run(['check', '--app', 'node quits.mjs'], cwd);
    expect(quits.stdout).toContain(
      'app settings: error: [app-not-checked]\n  the app exited with status 3 without reporting its settings: it did not get as far as listen(), or does not import HealthModule from @upgate/health; its last output:\n    | Error: Cannot find module @nestjs/core\n',
    );
    expect(quits.status).toBe(1);
    const started = performance.now();
    const hangs = await run(['check', '--app', 'node hangs.mjs', '--app-timeout', '1'], cwd);
    expect(hangs.stdout).toContain(
      'the app neither listened nor exited within 1 s (check mode stops it when it calls listen()); is it waiting for something, such as a database?; its last output:\n    | connecting to the database\n',
    );
    expect(hangs.status).toBe(1);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it.each([
    [
      ['--app', 'node app.mjs', '--probe-timeout', '3000'],
      '--probe-timeout describes an app the check assumes; with --app the app itself says it',
    ],
    [['--app', ' '], '--app is empty; give the app\'s start command, e.g. --app "node dist/main.js"'],
    [['--app-timeout', 'soon'], '--app-timeout "soon" is not a duration; write a whole number of seconds, e.g. 60'],
  ])('refuses %j with a precise message (exit 2)', async (args, message) => {
    const result = await run(['check', ...args], project({ 'config/deploy.yml': DEPLOY }));
    expect(result).toEqual({ status: 2, stdout: '', stderr: `upgate check: ${message}\nSee: upgate check --help\n` });
  });
});

/** A server that answers as an app behind upgate: probe paths whatever the Host, other hosts checked. */
function upgateLike(options: {
  probePaths?: string[];
  allowed?: (host: string) => boolean;
  handle?: (req: IncomingMessage, res: ServerResponse) => boolean;
}): Promise<number> {
  const {
    probePaths = ['/up'],
    allowed = (host) => host === 'shop.example.com' || host.endsWith('.shop.example.com'),
  } = options;
  const server = createServer((req, res) => {
    if (options.handle?.(req, res)) return;
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (probePaths.includes(path)) return void res.end('{"status":"ok"}');
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!allowed(host)) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      return void res.end("Bad Request: host not allowed (not in this server's allowed hosts).\n");
    }
    res.writeHead(404);
    res.end('Not Found');
  });
  servers.push(server);
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done((server.address() as AddressInfo).port)));
}

describe('upgate check --url', () => {
  it('passes an app that answers the health check and its hosts, and rejects a host nobody lists', async () => {
    const port = await upgateLike({});
    const result = await run(['check', '--url', `http://127.0.0.1:${port}`], project({ 'config/deploy.yml': DEPLOY }));
    expect(result.stdout).toMatch(
      new RegExp(
        [
          `^upgate check: config/deploy\\.yml against the app at http://127\\.0\\.0\\.1:${port}, reached as kamal-proxy and the public reach it`,
          '  GET /  Host: unlisted\\.upgate-check\\.invalid  -> 400 ".*" in \\d+ ms \\(rejected\\)',
          '  GET /  Host: shop\\.example\\.com  -> 404 "Not Found" in \\d+ ms \\(not rejected\\)',
          '  GET /  Host: upgate-check\\.shop\\.example\\.com  -> 404 "Not Found" in \\d+ ms \\(not rejected\\)',
          '  GET /up  Host: 7c7168a662c1:3000  User-Agent: kamal-proxy  -> 200 ".*" in \\d+ ms',
          '',
          'no mismatches',
          '$',
        ].join('\n'),
      ),
    );
    expect(result.status).toBe(0);
  });

  it('fails an app whose probe paths leave out the health-check path, naming the path and the host check that rejected it', async () => {
    const port = await upgateLike({ probePaths: ['/health'] });
    const result = await run(['check', '--url', `http://127.0.0.1:${port}`], project({ 'config/deploy.yml': DEPLOY }));
    expect(result.stdout).toContain(
      "config/deploy.yml:12: error: proxy.healthcheck.path [preflight-probe]\n  GET /up with Host '7c7168a662c1:3000' and User-Agent 'kamal-proxy', as kamal-proxy checks the new container, got 400 \"Bad Request: host not allowed (not in this server's allowed hosts).\" in",
    );
    expect(result.stdout).toContain(
      ": the app's host check rejected it, so '/up' is not one of the app's probe paths (they are answered whatever the Host); kamal-proxy needs a 2xx, so the new container never turns healthy and the deploy fails\n",
    );
    expect(result.status).toBe(1);
  });

  it('fails an app that rejects a proxy host, and one that lets any host through', async () => {
    const narrow = await upgateLike({ allowed: (host) => host === 'shop.example.com' });
    const rejected = await run(
      ['check', '--url', `http://127.0.0.1:${narrow}`],
      project({ 'config/deploy.yml': DEPLOY }),
    );
    expect(rejected.stdout).toContain(
      "config/deploy.yml:9: error: proxy.hosts[1] [preflight-host]\n  kamal-proxy routes '*.shop.example.com' to the app, but the app rejects it: GET / with Host 'upgate-check.shop.example.com' got 400",
    );
    expect(rejected.status).toBe(1);
    const open = await upgateLike({ allowed: () => true });
    const any = await run(['check', '--url', `http://127.0.0.1:${open}`], project({ 'config/deploy.yml': DEPLOY }));
    expect(any.stdout).toContain(
      "app settings: error: [preflight-unlisted-host]\n  the app answered GET / with Host 'unlisted.upgate-check.invalid', a host no allowlist lists, with 404: its host check lets any Host reach the app's code",
    );
    expect(any.status).toBe(1);
  });

  it("follows the app's redirects as kamal-proxy does, and gives up after proxy.healthcheck.timeout", async () => {
    const redirecting = await upgateLike({
      probePaths: ['/up/'],
      handle: (req, res) => {
        if (req.url !== '/up') return false;
        res.writeHead(302, { location: '/up/' }).end();
        return true;
      },
    });
    const followed = await run(
      ['check', '--url', `http://127.0.0.1:${redirecting}`],
      project({ 'config/deploy.yml': DEPLOY }),
    );
    expect(followed.stdout).toMatch(
      / {2}GET \/up {2}Host: 7c7168a662c1:3000 {2}User-Agent: kamal-proxy {2}-> 200 ".*" in \d+ ms \(after 302 -> \/up\/\)\n/,
    );
    expect(followed.status).toBe(0);

    const slow = await upgateLike({
      handle: (req, res) => {
        if (req.url !== '/up') return false;
        setTimeout(() => res.end('{"status":"ok"}'), 3000).unref();
        return true;
      },
    });
    const gaveUp = await run(
      ['check', '--url', `http://127.0.0.1:${slow}`],
      project({ 'config/deploy.yml': DEPLOY.replace('timeout: 5', 'timeout: 1') }),
    );
    expect(gaveUp.stdout).toContain(
      "config/deploy.yml:13: error: proxy.healthcheck.timeout [preflight-probe]\n  GET /up with Host '7c7168a662c1:3000' and User-Agent 'kamal-proxy', as kamal-proxy checks the new container, got no answer: no answer within 1 s;",
    );
    expect(gaveUp.status).toBe(1);
  });

  it('says when nothing answers at the address', async () => {
    const port = await upgateLike({});
    const server = servers.pop() as Server;
    await new Promise((done) => server.close(done));
    const result = await run(['check', '--url', `http://127.0.0.1:${port}`], project({ 'config/deploy.yml': DEPLOY }));
    expect(result.stdout).toContain(
      `app settings: error: [preflight-unreachable]\n  nothing answers at http://127.0.0.1:${port}: ECONNREFUSED\n`,
    );
    expect(result.status).toBe(1);
  });

  it.each([
    [
      'https://127.0.0.1:3000',
      'is not plain http://; kamal-proxy talks plain HTTP to the app, e.g. http://127.0.0.1:3000',
    ],
    ['http://127.0.0.1:3000/up', 'has more than a scheme, host and port; write e.g. http://127.0.0.1:3000'],
    ['localhost:3000', 'is not plain http://; kamal-proxy talks plain HTTP to the app, e.g. http://127.0.0.1:3000'],
  ])('refuses --url %s (exit 2)', async (url, message) => {
    const result = await run(['check', '--url', url], project({ 'config/deploy.yml': DEPLOY }));
    expect(result).toEqual({
      status: 2,
      stdout: '',
      stderr: `upgate check: --url ${JSON.stringify(url)} ${message}\nSee: upgate check --help\n`,
    });
  });
});
