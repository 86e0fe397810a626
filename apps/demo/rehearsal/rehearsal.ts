/**
 * A rehearsal in progress: the runtime, Kamal's moves, the deploy files, the checks made and the
 * summary table, and the probes the scenarios share (requests through kamal-proxy, `upgate check`).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { UPGATE_CHECK_VARIABLE } from '@upgate/config';
import { parseDocument, type Document } from 'yaml';
import { runCommand } from './commands.js';
import { Kamal } from './kamal.js';
import { type KamalDeployment, readKamalDeployment } from './kamal-deployment.js';
import { Load, type LoadFigures } from './load.js';
import { DEPLOY_YML, REPO_ROOT } from './paths.js';
import { healthCheckLines, parseProxyLog, type ProxyLogEntry } from './proxy-log.js';
import { RehearsalError } from './rehearsal-error.js';
import type { AppContainer, ExitStatus, Runtime } from './runtime.js';

/** Load connections: each has one request in flight at a time. */
export const CONNECTIONS = 10;
/** Load before a deploy starts and after it ends. */
export const STEADY_MS = 1500;
/** What the load requests: a route of the app (not a probe), on the deploy file's first host. */
export const LOAD_PATH = '/api/items';

interface Check {
  readonly scenario: string;
  readonly expectation: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Row {
  readonly scenario: string;
  /** `upgate check` of the deploy file, before the deploy. */
  readonly check: string;
  /** `kamal-proxy deploy`'s outcome and duration. */
  readonly deploy: string;
  readonly load?: LoadFigures;
  readonly note: string;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface UpgateCheck {
  readonly code: number | null;
  /** `ok`, or the errors' rules: `1 error [probe-path]`; then the warnings': `1 warning [probe-checks]`. */
  readonly verdict: string;
  /** The rules of its errors and warnings. */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** Its errors and warnings, three lines each: where and the rule, the message, the fix. */
  readonly said: readonly string[];
  /** The deadline of the app's probes, as the app reported it. */
  readonly probeTimeoutMs: number | undefined;
}

/** What `upgate check --json` writes, as far as the rehearsal reads it. */
interface CheckReport {
  readonly findings: readonly {
    readonly rule: string;
    readonly severity: 'error' | 'warning' | 'info';
    readonly key?: string;
    readonly location?: { readonly file: string; readonly line: number };
    readonly message: string;
    readonly fix: string;
  }[];
  readonly appReport?: { readonly probeTimeoutMs?: { readonly value: number } };
}

export class Rehearsal {
  readonly began = performance.now();
  readonly checks: Check[] = [];
  /** Known issues seen: printed with the summary, not failures (each names where it is reported). */
  readonly warnings: Check[] = [];
  readonly rows: Row[] = [];
  readonly kamal: Kamal;
  /** The accessory `db` (PostgreSQL), once booted. */
  db: AppContainer | undefined;

  constructor(
    readonly runtime: Runtime,
    /** The deploy file the image contains (apps/demo/config/deploy.yml), as Kamal reads it. */
    readonly deployment: KamalDeployment,
    private readonly dir: string,
    /** The certificate kamal-proxy serves, to verify it with. */
    private readonly certificate: string,
  ) {
    this.kamal = new Kamal(runtime);
  }

  log(line: string): void {
    process.stdout.write(`[${((performance.now() - this.began) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
  }

  /** Prints lines under a heading, indented. */
  show(heading: string, lines: readonly string[]): void {
    this.log(`${heading}${lines.length === 0 ? ': none' : ':'}`);
    for (const line of lines) process.stdout.write(`          ${line}\n`);
  }

  expect(scenario: string, expectation: string, ok: boolean, detail: string): void {
    this.checks.push({ scenario, expectation, ok, detail });
    this.log(`${ok ? 'ok  ' : 'FAIL'} ${expectation}: ${detail}`);
  }

  warn(scenario: string, expectation: string, detail: string): void {
    this.warnings.push({ scenario, expectation, ok: false, detail });
    this.log(`WARN ${expectation}: ${detail}`);
  }

  allMet(): boolean {
    return this.checks.every((check) => check.ok);
  }

  /** A copy of the image's deploy file with `edit` applied: the file Kamal runs with in a scenario. */
  deployFile(name: string, edit: (doc: Document) => void): KamalDeployment {
    const doc = parseDocument(readFileSync(DEPLOY_YML, 'utf8'));
    edit(doc);
    const dir = join(this.dir, name, 'config');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'deploy.yml');
    writeFileSync(file, String(doc));
    return readKamalDeployment(file);
  }

  /** Steady load through kamal-proxy's TLS listener, on the deploy file's first host. */
  load(): Load {
    const host = this.publicHost();
    return new Load({
      port: this.runtime.proxyPorts.https,
      host,
      path: LOAD_PATH,
      connections: CONNECTIONS,
      maxSeconds: 120,
    });
  }

  publicHost(): string {
    const host = this.deployment.hosts[0]?.trim();
    if (!host) throw new RehearsalError(`${this.deployment.file} has no proxy host to send requests to`);
    return host;
  }

  /**
   * One request through kamal-proxy's TLS listener, its certificate verified for the public host.
   * A `tag` marks it for observe-requests.mjs, which prints when it reaches the app.
   */
  https(path: string, tag?: string): Promise<HttpAnswer> {
    const host = this.publicHost();
    return answer(
      httpsRequest({
        host: '127.0.0.1',
        port: this.runtime.proxyPorts.https,
        path,
        servername: host,
        headers: { host, ...(tag ? { 'x-rehearsal': tag } : {}) },
        ca: this.certificate,
        agent: false,
      }),
    );
  }

  /** One plain-HTTP request to kamal-proxy, for the public host. */
  http(path: string): Promise<HttpAnswer> {
    return answer(
      httpRequest({
        host: '127.0.0.1',
        port: this.runtime.proxyPorts.http,
        path,
        headers: { host: this.publicHost() },
        agent: false,
      }),
    );
  }

  /** A request straight to a container, as kamal-proxy's health check sends it. */
  direct(container: AppContainer, path: string, timeoutMs = 2000): Promise<HttpAnswer> {
    const port = this.deployment.appPort;
    return answer(
      httpRequest({
        host: container.address,
        port,
        path,
        headers: { host: `${container.id}:${port}`, 'user-agent': 'upgate-rehearsal' },
        agent: false,
        timeout: timeoutMs,
      }),
    );
  }

  async proxyLog(): Promise<ProxyLogEntry[]> {
    return parseProxyLog(await this.runtime.proxyLogs());
  }

  /** What the health checks of `container` looked like, on both ends: kamal-proxy's log and the app's. */
  async showHealthChecks(container: AppContainer): Promise<string[]> {
    const target = `${container.id}:${this.deployment.appPort}`;
    const proxy = healthCheckLines(await this.proxyLog(), target);
    const app = (await container.logs()).split('\n').filter((line) => line.startsWith('[health check]'));
    this.show(`kamal-proxy's log about ${target}`, clip(proxy));
    this.show(`what ${container.name} (${container.id}) received from kamal-proxy`, clip(app));
    return app;
  }

  /**
   * `upgate check -c <file> --app <the version's start command>` before a deploy of `deploy` with
   * `secrets`: the app itself, started in check mode as the runtime starts a version (the image, or
   * the built demo with the image's ENV), in the environment Kamal gives the container (the deploy
   * file's env, which upgate reads itself, and env.secret). It reads the deploy file it was built
   * with, so a path Kamal is given in another file is not answered, and the check says so.
   */
  async upgateCheck(
    deploy: KamalDeployment,
    secrets: Readonly<Record<string, string>> = this.kamal.secrets,
  ): Promise<UpgateCheck> {
    const environment = deploy.containerEnvironment('check', secrets);
    const dir = mkdtempSync(join(this.dir, 'upgate-check-'));
    // What `docker run -e` gives beyond the deploy file's env.clear (which upgate reads itself).
    const given = Object.keys(environment.clear).filter((name) => !name.startsWith('KAMAL_'));
    const check = this.runtime.checkApp(
      [...given, ...Object.keys(environment.secret), UPGATE_CHECK_VARIABLE, 'NODE_ENV'],
      dir,
    );
    const envFile = join(dir, 'container.env');
    const values = { ...check.imageEnv, ...environment.secret };
    writeFileSync(
      envFile,
      Object.entries(values)
        .map(([name, value]) => `${name}=${value}\n`)
        .join(''),
      { mode: 0o600 },
    );
    const bin = join(REPO_ROOT, 'packages', 'config', 'bin', 'upgate.js');
    const args = [bin, 'check', '--json', '-c', deploy.file, '--env-file', envFile, '--app', check.command];
    const result = await runCommand(process.execPath, args, { cwd: check.cwd, env: check.env });
    rmSync(dir, { recursive: true, force: true });
    let report: CheckReport;
    try {
      report = JSON.parse(result.stdout) as CheckReport;
    } catch {
      throw new RehearsalError(
        `upgate check wrote no report (${describeExit(result)}):\n${result.stdout}${result.stderr}`,
      );
    }
    const rules = (severity: string): string[] =>
      report.findings.filter((finding) => finding.severity === severity).map((finding) => finding.rule);
    const counted = (severity: string, found: readonly string[]): string =>
      `${found.length} ${severity}${found.length === 1 ? '' : 's'} [${found.join(', ')}]`;
    const [errors, warnings] = [rules('error'), rules('warning')];
    const verdict = [
      result.code === 0 ? 'ok' : counted('error', errors),
      ...(warnings.length > 0 ? [counted('warning', warnings)] : []),
    ].join(', ');
    const said = report.findings
      .filter((finding) => finding.severity !== 'info')
      .flatMap((finding) => [
        `${finding.location ? `${finding.location.file}:${finding.location.line}: ` : ''}${finding.severity}: ${finding.key ? `${finding.key} ` : ''}[${finding.rule}]`,
        `  ${finding.message}`,
        `  fix: ${finding.fix}`,
      ]);
    return {
      code: result.code,
      verdict,
      errors,
      warnings,
      said,
      probeTimeoutMs: report.appReport?.probeTimeoutMs?.value,
    };
  }

  async close(): Promise<void> {
    await this.runtime.close().catch((error: unknown) => this.log(`clean-up: ${String(error)}`));
  }

  summary(): void {
    const header = ['scenario', 'upgate check', 'kamal-proxy deploy', 'sent', 'failed', 'non-2xx', 'notes'];
    const rows = this.rows.map((row) => [
      row.scenario,
      row.check,
      row.deploy,
      row.load ? String(row.load.sent) : '',
      row.load ? String(row.load.failed) : '',
      row.load ? String(row.load.non2xx) : '',
      row.note,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
    const numeric = new Set([3, 4, 5]);
    const format = (cells: readonly string[]): string =>
      `| ${cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number))).join(' | ')} |`;
    const lines = [format(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(format)];
    const failed = this.checks.filter((check) => !check.ok);
    process.stdout.write(
      `\nRehearsal summary (${this.runtime.description}; load: ${CONNECTIONS} connections, GET ${LOAD_PATH} over TLS, Host and SNI ${this.deployment.hosts[0] ?? ''})\n` +
        `${lines.join('\n')}\n` +
        `${this.checks.length - failed.length} of ${this.checks.length} expected outcomes met; ${
          failed.length === 0
            ? 'all met'
            : `NOT MET:\n${failed.map((c) => `  - ${c.scenario}: ${c.expectation}: ${c.detail}`).join('\n')}`
        }\n` +
        (this.warnings.length > 0
          ? `known issues seen (not failures):\n${this.warnings.map((w) => `  - ${w.scenario}: ${w.expectation}: ${w.detail}`).join('\n')}\n`
          : '') +
        `runtime ${((performance.now() - this.began) / 1000).toFixed(1)} s\n`,
    );
  }
}

export function describeExit(exit: Pick<ExitStatus, 'code' | 'signal'> | undefined): string {
  if (!exit) return 'still running';
  return exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`;
}

export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

export function loadLine(figures: LoadFigures): string {
  const errors = figures.errors.length > 0 ? `; errors: ${figures.errors.join('; ')}` : '';
  return `${figures.sent} sent, ${figures.completed} answered, ${figures.failed} failed, ${figures.non2xx} non-2xx in ${ms(figures.durationMs)}${errors}`;
}

/** The first few lines and how many more. */
function clip(lines: readonly string[], keep = 4): string[] {
  return lines.length <= keep
    ? [...lines]
    : [...lines.slice(0, keep), `... and ${lines.length - keep} more like these`];
}

function answer(request: ClientRequest): Promise<HttpAnswer> {
  return new Promise((done, fail) => {
    request.once('error', fail);
    request.once('timeout', () => request.destroy(new Error('timed out')));
    request.once('response', (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.once('end', () => done({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.end();
  });
}
