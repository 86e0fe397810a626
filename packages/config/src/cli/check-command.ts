/**
 * `upgate check`: reads a Kamal deploy file, learns the app's settings (assumed from the
 * environment it will have, or from the app itself with --app), runs `checkDeployment`, and with
 * --url tries a running app the way kamal-proxy and the public reach it. Prints the findings.
 */
import { parseArgs } from 'node:util';
import type { AppSettingsReport } from '../check/app-settings-report.js';
import { checkDeployment } from '../check/check-deployment.js';
import type { DeploymentFinding } from '../check/deployment-finding.js';
import { countFindings, formatFinding, formatSummary, sortFindings } from '../check/format-findings.js';
import { ENV_VARIABLES } from '../load/env-source.js';
import { readDeployFile } from '../load/kamal/read-deploy-file.js';
import { resolveSettings } from '../resolve/resolve-settings.js';
import { appSide, deployFileFinding, describe, type AppContext, type AppSide } from './app-side.js';
import type { CliIo } from './cli-io.js';
import { containerEnv, EnvFileError, type ContainerEnv } from './container-env.js';
import { preflight, preflightTarget, type PreflightResult } from './preflight.js';
import { runInCheckMode } from './run-in-check-mode.js';

/**
 * `@upgate/health`'s default `probeTimeoutMs`. This package cannot import that one (config depends
 * on nothing of ours), so the demo's tests assert that the two agree.
 */
export const DEFAULT_PROBE_TIMEOUT_MS = 3000;

/** How long `--app` waits for the app to reach listen(), by default. */
export const DEFAULT_APP_TIMEOUT_SECONDS = 60;

/** The environment `upgate check` assumes when NODE_ENV is given nowhere: the image's. */
const CHECK_ENVIRONMENT = 'production';
/** What Kamal (`Kamal::Commands::App#run`) sets in the container for `kamal deploy -d <destination>`. */
const KAMAL_DESTINATION_VARIABLE = 'KAMAL_DESTINATION';

export const CHECK_HELP = `Usage: upgate check [options]

Compares a Kamal deploy file with what your app will do, and reports every mismatch that would
fail the deploy or break the site: the health-check path the app does not answer as a probe, a
proxy host the app's allowlist rejects, proxy.app_port not the app's port, proxy.ssl without
forward_headers while the app trusts forwarded headers, a health-check timeout not longer than
the probe deadline, a health-check path the app's own code would redirect.

The app, in one of three ways:
  --app <command>              run the app's start command (e.g. "node dist/main.js") in check
                               mode: HealthModule reports the settings it resolved (code options,
                               environment, the deploy file it reads, defaults) and the port it
                               passes to listen(), and the app exits before listening. The
                               surest way: it checks what the app really does.
  --url <url>                  try the running app at this address (e.g. http://127.0.0.1:3000)
                               as kamal-proxy checks it (GET proxy.healthcheck.path with Host
                               <container-id>:<app_port>, User-Agent kamal-proxy, within
                               proxy.healthcheck.timeout), and as the public reaches it (each
                               proxy host not rejected, a host nobody lists rejected).
  (neither)                    assume the app reads this deploy file through upgate and nothing
                               in its code sets these settings; the first line of the report
                               says so. Settings the app sets in code are not seen.

Deploy file:
  -c, --config <file>          Kamal's deploy file, as for kamal -c (default: config/deploy.yml)
  -d, --destination <name>     merge config/deploy.<name>.yml over it, as kamal -d does (and,
                               for --app, set KAMAL_DESTINATION, as Kamal does in the container)

The app's environment, highest precedence first (for --app, the environment it is started in;
lists are comma-separated, as in the variables):
  --allowed-hosts <list>       as ALLOWED_HOSTS, e.g. app.example.com,.example.org
  --probe-paths <list>         as HEALTH_PROBE_PATHS, e.g. /up,/ready
  --port <port>                as PORT
  --trust-proxy <value>        as TRUST_PROXY: true, false, or addresses, networks, loopback, private
  (the deploy file's env)      env / env.clear (and the primary role's), which Kamal passes the
                               container; a variable in env.secret is noted, its value unknown here
  --env-file <file>            dotenv file(s) with the rest of the app's production environment,
                               e.g. the image's ENV (repeatable; later files win)
  (environment)                ALLOWED_HOSTS, HEALTH_PROBE_PATHS, PORT, TRUST_PROXY, NODE_ENV of
                               this process. NODE_ENV given nowhere counts as production.

Without --app, what the check cannot see in the app:
  --probe-timeout <ms>         the app's probeTimeoutMs (default: ${DEFAULT_PROBE_TIMEOUT_MS}, @upgate/health's default)
  --no-deploy-fallback         the app does not read the deploy file: settings given none of the
                               ways above take upgate's defaults instead
Either way:
  --https-redirect             the app's own code redirects plain HTTP to https://
  --trailing-slash-redirect <add|strip>
                               the app's own code redirects paths to their form with/without a
                               trailing slash
  --app-timeout <seconds>      how long --app waits for the app to reach listen() (default: ${DEFAULT_APP_TIMEOUT_SECONDS})

Output:
  --json                       print the settings compared and the findings as JSON
  -h, --help                   show this help

Exit status: 0 when there is no error (warnings and notes allowed), 1 when there is at least one
error, 2 when the check could not run (a bad option).

Examples:
  upgate check --app "node dist/main.js"             (from the app's directory, after a build)
  upgate check --url http://127.0.0.1:3000           (the app running as in production)
  upgate check -c apps/demo/config/deploy.yml --env-file apps/demo/.env.production
  ALLOWED_HOSTS=app.example.com upgate check -d staging --json
`;

const OPTIONS = {
  config: { type: 'string', short: 'c', default: 'config/deploy.yml' },
  destination: { type: 'string', short: 'd' },
  app: { type: 'string' },
  'app-timeout': { type: 'string' },
  url: { type: 'string' },
  'allowed-hosts': { type: 'string' },
  'probe-paths': { type: 'string' },
  port: { type: 'string' },
  'trust-proxy': { type: 'string' },
  'probe-timeout': { type: 'string' },
  'https-redirect': { type: 'boolean', default: false },
  'trailing-slash-redirect': { type: 'string' },
  'env-file': { type: 'string', multiple: true },
  'no-deploy-fallback': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

class UsageError extends Error {}

type Args = ReturnType<typeof parse>;

export async function runCheck(argv: readonly string[], io: CliIo): Promise<number> {
  let args: Args;
  try {
    args = parse(argv);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr(`upgate check: ${usageMessage(error as Error & { code?: string })}\nSee: upgate check --help\n`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    io.stdout(CHECK_HELP);
    return 0;
  }

  const reading = readDeployFile(args.config, {
    cwd: io.cwd,
    ...(args.destination === undefined ? {} : { destination: args.destination }),
  });
  const deploy = reading.config;
  const findings: DeploymentFinding[] = reading.problems.map(deployFileFinding);

  let env: ContainerEnv;
  try {
    env = containerEnv(io.env, io.cwd, args['env-file'] ?? [], deploy, {
      ...pick(args, 'allowed-hosts'),
      ...pick(args, 'probe-paths'),
      ...pick(args, 'port'),
      ...pick(args, 'trust-proxy'),
    });
  } catch (error) {
    if (!(error instanceof EnvFileError)) throw error;
    io.stderr(`upgate check: ${error.message}\nSee: upgate check --help\n`);
    return 2;
  }
  const redirects: { https?: boolean; trailingSlash?: 'add' | 'strip' } = {};
  if (args['https-redirect']) redirects.https = true;
  const slash = args['trailing-slash-redirect'];
  if (slash === 'add' || slash === 'strip') redirects.trailingSlash = slash;

  let app: AppSide | undefined;
  let appReport: AppSettingsReport | undefined;
  if (args.app !== undefined) {
    const run = await runInCheckMode(args.app, {
      cwd: io.cwd,
      // `kamal deploy -d <destination>` starts the container with KAMAL_DESTINATION, before the deploy file's env.
      env: {
        ...io.env,
        ...(args.destination === undefined ? {} : { [KAMAL_DESTINATION_VARIABLE]: args.destination }),
        ...env.given,
        [ENV_VARIABLES.environment]: environmentOf(io, env),
      },
      timeoutMs: Number(args['app-timeout'] ?? DEFAULT_APP_TIMEOUT_SECONDS) * 1000,
    });
    if ('failure' in run) {
      findings.push({
        rule: 'app-not-checked',
        severity: 'error',
        message: `${run.failure}${run.output.trim() === '' ? '' : `; its last output:\n${indent(run.output.trim())}`}`,
        fix: `run the command by hand with ${'UPGATE_CHECK=-'} to see what the app does; it must import HealthModule and call listen()`,
      });
    } else {
      appReport = run.report;
      app = appFromReport(run.report, env, redirects, reading.path, args.destination);
      findings.push(...appReportFindings(run.report, reading.path, args.destination, deploy));
    }
  } else if (args.url === undefined) {
    const resolution = resolveSettings({
      env: { ...env.fromProcess, ...env.given, [ENV_VARIABLES.environment]: environmentOf(io, env) },
      ...(args['no-deploy-fallback'] || deploy === undefined ? {} : { deployFile: reading }),
    });
    const timeout = args['probe-timeout'];
    const context: AppContext = {
      places: env.places,
      probeTimeoutMs:
        timeout === undefined
          ? { value: DEFAULT_PROBE_TIMEOUT_MS, label: 'the default of @upgate/health' }
          : { value: Number(timeout.trim()), label: '--probe-timeout' },
      redirects,
      deployFileSuffix: ', which the app reads',
      emptyAllowlistFix: `give ALLOWED_HOSTS (or --allowed-hosts), or proxy.host in ${reading.file}`,
    };
    // An unreadable deploy file is reported already; the allowlist it would give is unknown, not empty.
    const unknown = deploy === undefined && !args['no-deploy-fallback'];
    app = appSide(
      unknown
        ? { ...resolution, problems: resolution.problems.filter((p) => p.setting !== 'allowed hosts') }
        : resolution,
      context,
      [],
    );
  }
  findings.push(...env.notes);
  if (app) {
    findings.push(...app.problems, ...app.notes);
    if (deploy && app.settings) findings.push(...checkDeployment(deploy, app.settings));
  }

  let preflightResult: PreflightResult | undefined;
  if (args.url !== undefined && deploy) {
    preflightResult = await preflight(preflightTarget(args.url) as URL, deploy);
    findings.push(...preflightResult.findings);
  }

  const sorted = sortFindings(findings);
  const counts = countFindings(sorted);
  if (args.json) {
    io.stdout(
      `${JSON.stringify(
        {
          deployFile: reading.file,
          destination: args.destination ?? null,
          checked: args.app !== undefined ? 'app' : args.url !== undefined ? 'url' : 'assumed',
          ...(app?.settings ? { app: { ...app.settings, environment: app.environment } } : {}),
          ...(appReport ? { appReport } : {}),
          ...(preflightResult ? { requests: preflightResult.lines.map((line) => line.trim()) } : {}),
          findings: sorted,
          counts: { errors: counts.error, warnings: counts.warning, notes: counts.info },
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.stdout(report(args, reading.file, app, appReport, preflightResult, sorted));
  }
  return counts.error > 0 ? 1 : 0;
}

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const slash = values['trailing-slash-redirect'];
  if (slash !== undefined && slash !== 'add' && slash !== 'strip') {
    throw new UsageError(
      `--trailing-slash-redirect ${JSON.stringify(slash)} is not a redirect; write add (/up -> /up/) or strip (/up/ -> /up)`,
    );
  }
  const timeout = values['probe-timeout'];
  if (timeout !== undefined) {
    const value = Number(timeout.trim());
    if (!/^\s*\d+\s*$/.test(timeout) || value < 1 || value > 2_147_483_647) {
      throw new UsageError(
        `--probe-timeout ${JSON.stringify(timeout)} is not a duration; write a whole number of milliseconds, e.g. 3000`,
      );
    }
  }
  const appTimeout = values['app-timeout'];
  if (appTimeout !== undefined && (!/^\s*\d+\s*$/.test(appTimeout) || Number(appTimeout) < 1)) {
    throw new UsageError(
      `--app-timeout ${JSON.stringify(appTimeout)} is not a duration; write a whole number of seconds, e.g. ${DEFAULT_APP_TIMEOUT_SECONDS}`,
    );
  }
  if (values.app !== undefined) {
    if (values.app.trim() === '')
      throw new UsageError('--app is empty; give the app\'s start command, e.g. --app "node dist/main.js"');
    for (const flag of ['probe-timeout', 'no-deploy-fallback'] as const) {
      if (values[flag] !== undefined && values[flag] !== false) {
        throw new UsageError(`--${flag} describes an app the check assumes; with --app the app itself says it`);
      }
    }
  }
  if (values.url !== undefined) {
    const target = preflightTarget(values.url);
    if (typeof target === 'string') throw new UsageError(target);
  }
  return values;
}

function pick<K extends 'allowed-hosts' | 'probe-paths' | 'port' | 'trust-proxy'>(
  args: Args,
  key: K,
): Partial<Record<K, string>> {
  const value = args[key];
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, string>>);
}

/** NODE_ENV as the container will have it; production when given nowhere (the image's). */
function environmentOf(io: CliIo, env: ContainerEnv): string {
  return env.given[ENV_VARIABLES.environment] ?? io.env[ENV_VARIABLES.environment] ?? CHECK_ENVIRONMENT;
}

/** parseArgs' messages, made short: `unknown option --bogus`. */
function usageMessage(error: Error & { code?: string }): string {
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(error.message)?.[1];
    if (option) return `unknown option ${option}`;
  }
  return error.message;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** The app's side from what it reported in check mode. */
function appFromReport(
  report: AppSettingsReport,
  env: ContainerEnv,
  redirects: AppContext['redirects'],
  checkedPath: string,
  destination: string | undefined,
): AppSide {
  const readsChecked = report.deployFile?.path === checkedPath && report.deployFile.destination === destination;
  const deployFileSuffix = readsChecked ? '' : ' (another deploy file than the one checked)';
  const listened = report.listen?.port;
  let port: AppContext['port'];
  if (listened !== undefined) {
    // The port upgate resolved, when the app listens on it (as the demo does); else the code's own.
    const resolved = report.settings?.port === listened ? report.origins.port : [];
    const from = resolved.map((origin) => describe(origin, { places: env.places, deployFileSuffix })).join(' plus ');
    port = {
      value: listened,
      label: resolved.length > 0 ? `${from}, passed to app.listen()` : `app.listen(${listened})`,
      changeAt:
        resolved[0]?.source === 'environment'
          ? (env.places.get(resolved[0].key)?.changeAt ?? resolved[0].key)
          : resolved.length > 0
            ? from
            : "the port the app's code passes to listen()",
    };
  }
  return appSide(
    report,
    {
      places: env.places,
      probeTimeoutMs: report.probeTimeoutMs
        ? { value: report.probeTimeoutMs.value, label: report.probeTimeoutMs.origin.name }
        : undefined,
      ...(port ? { port } : {}),
      redirects,
      deployFileSuffix,
      emptyAllowlistFix:
        'give ALLOWED_HOSTS, the allowedHosts option, or a deploy file with proxy.host (the deployFile option)',
    },
    [],
  );
}

/** What the app's report says beyond its settings: the deploy file it reads, its probes' checks. */
function appReportFindings(
  report: AppSettingsReport,
  checkedPath: string,
  destination: string | undefined,
  deploy: ReturnType<typeof readDeployFile>['config'],
): DeploymentFinding[] {
  const findings: DeploymentFinding[] = [];
  const read = report.deployFile;
  if (read && (read.path !== checkedPath || read.destination !== destination)) {
    const theirs = `${read.file}${read.destination ? ` (destination ${read.destination})` : ''}`;
    findings.push({
      rule: 'deploy-file-differs',
      severity: 'warning',
      message: `the app reads ${theirs}, not the deploy file checked here${destination ? ` (destination ${destination})` : ''}: Kamal deploys with one, the app takes its hosts, probe path and port from the other`,
      fix: 'check the file Kamal deploys with (-c, -d), and give the app the same one (the deployFile and destination options)',
    });
  }
  const path = deploy?.proxy.enabled ? deploy.proxy.healthcheck.path : undefined;
  const checks = path === undefined ? 0 : (report.probeChecks?.[path] ?? 0);
  if (deploy && path !== undefined && checks > 0) {
    const location = deploy.locate('proxy.healthcheck.path');
    findings.push({
      rule: 'probe-checks',
      severity: 'warning',
      key: 'proxy.healthcheck.path',
      ...(location ? { location } : {}),
      message: `kamal-proxy checks '${path}', which runs ${checks} health indicator${checks === 1 ? '' : 's'} in the app: a slow or failing dependency fails the deploy (after deploy_timeout) although the app itself is up`,
      fix: `make '${path}' a liveness probe without checks (probes: { '${path}': [] }), and put the dependency checks on a readiness path for the load balancers and Kubernetes`,
    });
  }
  return findings;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    | ${line}`)
    .join('\n');
}

function report(
  args: Args,
  file: string,
  app: AppSide | undefined,
  appReport: AppSettingsReport | undefined,
  preflightResult: PreflightResult | undefined,
  findings: readonly DeploymentFinding[],
): string {
  const lines: string[] = [];
  const where = `${file}${args.destination ? ` (destination ${args.destination})` : ''}`;
  const environment = app ? ` (NODE_ENV ${app.environment})` : '';
  if (args.app !== undefined) {
    lines.push(`upgate check: ${where} against the app started with ${JSON.stringify(args.app)}${environment}`);
  } else if (args.url !== undefined) {
    lines.push(`upgate check: ${where} against the app at ${args.url}, reached as kamal-proxy and the public reach it`);
  } else {
    lines.push(
      `upgate check: ${where} against the app's settings${environment}, assuming the app reads ${
        args['no-deploy-fallback'] ? 'no deploy file' : 'this deploy file'
      } and no code of it sets them (--app "<start command>" checks the app itself)`,
    );
  }
  if (app?.settings) {
    const s = app.settings;
    const from = (key: keyof NonNullable<typeof s.sources>) => (s.sources?.[key] ? `  (${s.sources[key]})` : '');
    const trust =
      s.trustProxy === true
        ? 'true'
        : s.trustProxy === false || s.trustProxy === undefined
          ? 'false'
          : s.trustProxy.join(', ');
    lines.push(`  allowed hosts  ${s.allowedHosts.join(', ') || 'none'}${from('allowedHosts')}`);
    lines.push(`  probe paths    ${s.probePaths.join(', ')}${from('probePaths')}`);
    lines.push(`  port           ${s.port ?? 'unknown'}${from('port')}`);
    lines.push(`  trust proxy    ${trust}${from('trustProxy')}`);
    lines.push(
      `  probe timeout  ${s.probeTimeoutMs === undefined ? 'unknown' : `${s.probeTimeoutMs} ms`}${from('probeTimeoutMs')}`,
    );
    if (appReport) {
      const read = appReport.deployFile;
      lines.push(
        `  deploy file    ${read ? `${read.file}${read.destination ? ` (destination ${read.destination})` : ''}` : 'none: the app reads no deploy file'}`,
      );
    }
  }
  if (preflightResult) {
    if (args.app !== undefined) lines.push(`  reached at ${args.url} as kamal-proxy and the public reach it:`);
    lines.push(...preflightResult.lines);
  }
  lines.push('');
  for (const finding of findings) lines.push(formatFinding(finding, file), '');
  lines.push(formatSummary(findings));
  return `${lines.join('\n')}\n`;
}
