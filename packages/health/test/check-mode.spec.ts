/**
 * Check mode (UPGATE_CHECK, for `upgate check --app`): a real app process, on each adapter, writes
 * what it resolved when it calls listen(), and exits 0 without listening; with settings that stop
 * it, it writes them at once and exits 1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppSettingsReport } from '@upgate/config';
import { buildCheckModeFixture } from './fixtures/check-mode-build.js';
import { ADAPTERS } from './support/test-app.js';

let script: string;
let dir: string;
beforeAll(async () => {
  script = await buildCheckModeFixture();
  dir = mkdtempSync(join(tmpdir(), 'upgate-check-mode-'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

async function runApp(adapter: string, options: object, env: Record<string, string>): Promise<Run> {
  const child: ChildProcess = spawn(process.execPath, [script, adapter, JSON.stringify(options)], {
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe.each(ADAPTERS)('check mode over %s', (adapter) => {
  test('writes the settings with their origins, the deploy file, the probe deadline and the listen() port, and exits 0 without listening', async () => {
    const deployFile = join(dir, `deploy-${adapter}.yml`);
    writeFileSync(
      deployFile,
      'service: app\nimage: acme/app\nservers:\n  web:\n    - 192.0.2.10\nproxy:\n  host: app.example.com\n  app_port: 3000\n',
    );
    const report = join(dir, `report-${adapter}.json`);
    const port = await freePort();
    const run = await runApp(
      adapter,
      { deployFile, probeTimeoutMs: 800, trustProxy: true },
      { UPGATE_CHECK: report, LISTEN_PORT: String(port), TRUST_PROXY: 'false' },
    );
    expect(run.stdout).not.toContain('listening');
    expect(run.stderr).toBe(
      `upgate: check mode (UPGATE_CHECK): settings written to ${report}; exiting without listening\n`,
    );
    expect(run.code).toBe(0);
    const written = JSON.parse(readFileSync(report, 'utf8')) as AppSettingsReport;
    expect(written).toEqual({
      format: 'upgate-app-settings/1',
      settings: {
        allowedHosts: ['app.example.com'],
        probePaths: ['/up', '/ready'],
        trustProxy: true,
        rejectStatus: 400,
        environment: 'production',
        port: 3000,
      },
      origins: {
        allowedHosts: [
          expect.objectContaining({
            source: 'deploy-file',
            key: 'proxy.host',
            location: { file: deployFile, line: 7 },
          }),
        ],
        probePaths: [
          expect.objectContaining({
            source: 'deploy-file',
            key: 'proxy.healthcheck.path',
            name: `${deployFile}: proxy.healthcheck.path (not set: Kamal's default)`,
          }),
          { source: 'option', key: 'probes', name: 'the probes option' },
        ],
        trustProxy: [{ source: 'option', key: 'trustProxy', name: 'the trustProxy option' }],
        rejectStatus: [{ source: 'default', key: 'rejectStatus', name: "upgate's default" }],
        environment: [{ source: 'environment', key: 'NODE_ENV', name: 'NODE_ENV' }],
        port: [expect.objectContaining({ source: 'deploy-file', key: 'proxy.app_port' })],
      },
      problems: [],
      warnings: [{ setting: 'TRUST_PROXY', value: '"false"', message: 'is overridden by the trustProxy option true' }],
      deployFile: { file: deployFile, path: deployFile },
      probeTimeoutMs: {
        value: 800,
        origin: { source: 'option', key: 'probeTimeoutMs', name: 'the probeTimeoutMs option' },
      },
      probeChecks: { '/up': 0, '/ready': 1 },
      listen: { port, host: '127.0.0.1' },
    });
    // Nothing listens on the port the app was given.
    const probe = createServer();
    await new Promise<void>((done, fail) => probe.once('error', fail).listen(port, '127.0.0.1', done));
    await new Promise((done) => probe.close(done));
  });

  test("writes the settings that stop the app as soon as they are resolved, and exits 1; to stdout with '-'", async () => {
    const run = await runApp(
      adapter,
      { allowedHosts: ['https://app.example.com'], probeTimeoutMs: 'soon' },
      { UPGATE_CHECK: '-', LISTEN_PORT: String(await freePort()) },
    );
    expect(run.code).toBe(1);
    const written = JSON.parse(run.stdout) as AppSettingsReport;
    expect(written.settings).toBeUndefined();
    expect(written.listen).toBeUndefined();
    expect(written.problems.map((p) => `${p.setting}: ${p.value} ${p.message}`)).toEqual([
      'allowedHosts[0]: "https://app.example.com" is a URL; write the host alone: "app.example.com"',
      'probeTimeoutMs: "soon" is not a duration; write a whole number of milliseconds from 1 to 2147483647 (e.g. 3000)',
    ]);
  });
});
