/**
 * `upgate check`: reads a Kamal deploy file and the app's settings (flags, env files, the
 * environment), runs `checkDeployment`, and prints the findings.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import { checkDeployment, type DeploymentAppSettings } from '../check/check-deployment.js';
import type { DeploymentFinding } from '../check/deployment-finding.js';
import { countFindings, formatFinding, formatSummary, sortFindings } from '../check/format-findings.js';
import { deployKeyName } from '../load/deploy-file-source.js';
import { ENV_VARIABLES, readEnvSource } from '../load/env-source.js';
import type { KamalDeployConfig } from '../load/kamal/kamal-deploy-config.js';
import { readKamalDeployFile } from '../load/kamal/read-kamal-deploy-file.js';
import { DEFAULT_PROBE_PATHS, DEVELOPMENT_ALLOWED_HOSTS, type TrustProxy } from '../settings.js';
import { UpgateConfigError, type ConfigProblem } from '../upgate-config.error.js';
import { readKamalEnv } from '../check/kamal-env.js';
import type { CliIo } from './cli-io.js';

/**
 * `@upgate/health`'s default `probeTimeoutMs`. This package cannot import that one (config depends
 * on nothing of ours), so the demo's tests assert that the two agree.
 */
export const DEFAULT_PROBE_TIMEOUT_MS = 3000;

/** The environment `upgate check` assumes when NODE_ENV is given nowhere: the image's. */
const CHECK_ENVIRONMENT = 'production';

export const CHECK_HELP = `Usage: upgate check [options]

Compares a Kamal deploy file with the settings your app will run with, and reports every mismatch
that would fail the deploy or break the site: the health-check path the app does not answer as a
probe, a proxy host the app's allowlist rejects, proxy.app_port not the app's port, proxy.ssl
without forward_headers while the app trusts forwarded headers, a health-check timeout not longer
than the probe deadline, a health-check path the app's own code would redirect.

Deploy file:
  -c, --config <file>          Kamal's deploy file, as for kamal -c (default: config/deploy.yml)
  -d, --destination <name>     merge config/deploy.<name>.yml over it, as kamal -d does

The app's settings, highest precedence first (lists are comma-separated, as in the variables):
  --allowed-hosts <list>       as ALLOWED_HOSTS, e.g. app.example.com,.example.org
  --probe-paths <list>         as HEALTH_PROBE_PATHS, e.g. /up,/ready
  --port <port>                as PORT
  --trust-proxy <value>        as TRUST_PROXY: true, false, or addresses, networks, loopback, private
  --probe-timeout <ms>         the app's probeTimeoutMs (default: ${DEFAULT_PROBE_TIMEOUT_MS}, @upgate/health's default)
  --https-redirect             the app's own code redirects plain HTTP to https://
  --trailing-slash-redirect <add|strip>
                               the app's own code redirects paths to their form with/without a
                               trailing slash
  (the deploy file's env)      env / env.clear (and the primary role's), which Kamal passes the
                               container; a variable in env.secret is noted, its value unknown here
  --env-file <file>            dotenv file(s) with the rest of the app's production environment,
                               e.g. the image's ENV (repeatable; later files win)
  (environment)                ALLOWED_HOSTS, HEALTH_PROBE_PATHS, PORT, TRUST_PROXY, NODE_ENV of
                               this process. NODE_ENV given nowhere counts as production.
  (the deploy file)            a setting given none of the ways above is taken from the deploy file
                               (proxy.host(s), proxy.healthcheck.path, proxy.app_port), as
                               loadSettings({ deployFile }) does in the app
  --no-deploy-fallback         the app does not read the deploy file: settings given none of the
                               ways above take upgate's defaults instead

Output:
  --json                       print the settings compared and the findings as JSON
  -h, --help                   show this help

Exit status: 0 when there is no error (warnings and notes allowed), 1 when there is at least one
error, 2 when the check could not run (a bad option).

Examples:
  upgate check                                       (from the app's directory)
  upgate check -c apps/demo/config/deploy.yml --env-file apps/demo/.env.production
  ALLOWED_HOSTS=app.example.com upgate check -d staging --json
`;

const OPTIONS = {
  config: { type: 'string', short: 'c', default: 'config/deploy.yml' },
  destination: { type: 'string', short: 'd' },
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

/** The flags that stand for an upgate variable, and that variable. */
const FLAG_VARIABLES = {
  'allowed-hosts': ENV_VARIABLES.allowedHosts,
  'probe-paths': ENV_VARIABLES.probePaths,
  port: ENV_VARIABLES.port,
  'trust-proxy': ENV_VARIABLES.trustProxy,
} as const;

const UPGATE_VARIABLES: readonly string[] = Object.values(ENV_VARIABLES);

class UsageError extends Error {}

/** What the app will run with, for the report and for `checkDeployment`. */
interface AppSide {
  readonly settings: DeploymentAppSettings;
  readonly environment: string;
  /** What would stop the app starting: no comparison is made while there are any. */
  readonly problems: readonly DeploymentFinding[];
  /** What could not be known (a variable from a Kamal secret). */
  readonly notes: readonly DeploymentFinding[];
}

export function runCheck(argv: readonly string[], io: CliIo): number {
  let args: ReturnType<typeof parse>;
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

  const configFile = args.config;
  let deploy: KamalDeployConfig | undefined;
  const findings: DeploymentFinding[] = [];
  try {
    deploy = readKamalDeployFile(configFile, {
      cwd: io.cwd,
      ...(args.destination === undefined ? {} : { destination: args.destination }),
    });
  } catch (error) {
    if (!(error instanceof UpgateConfigError)) throw error;
    findings.push(
      ...error.problems.map((problem) => invalid(problem, 'the deploy file is not valid for Kamal; correct it')),
    );
  }

  let app: AppSide | undefined;
  try {
    app = appSide(args, io, deploy);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`upgate check: ${error.message}\nSee: upgate check --help\n`);
    return 2;
  }
  findings.push(...app.problems, ...app.notes);
  if (deploy && app.problems.length === 0) findings.push(...checkDeployment(deploy, app.settings));

  const sorted = sortFindings(findings);
  const counts = countFindings(sorted);
  const shownFile = deploy?.file ?? configFile;
  if (args.json) {
    io.stdout(
      `${JSON.stringify(
        {
          deployFile: shownFile,
          destination: args.destination ?? null,
          app: { ...app.settings, environment: app.environment },
          findings: sorted,
          counts: { errors: counts.error, warnings: counts.warning, notes: counts.info },
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.stdout(report(shownFile, args.destination, app, sorted));
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
  return values;
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

/** The app's effective settings and where each came from, or the problems that would stop it starting. */
function appSide(args: ReturnType<typeof parse>, io: CliIo, deploy: KamalDeployConfig | undefined): AppSide {
  // One environment, built by precedence, remembering where each variable came from.
  const env: Record<string, string> = {};
  const origin = new Map<string, string>();
  const originLine = new Map<string, { file: string; line: number }>();
  for (const name of UPGATE_VARIABLES) {
    const value = io.env[name];
    if (value !== undefined) {
      env[name] = value;
      origin.set(name, `${name} (environment)`);
    }
  }
  for (const file of args['env-file'] ?? []) {
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, file), 'utf8');
    } catch (error) {
      throw new UsageError(
        `--env-file ${JSON.stringify(file)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`,
      );
    }
    for (const [name, value] of Object.entries(parseEnv(text))) {
      if (value === undefined) continue;
      env[name] = value;
      const line = lineOf(text, name);
      origin.set(name, line === undefined ? `${name} in ${file}` : `${name} in ${file}:${line}`);
      if (line === undefined) originLine.delete(name);
      else originLine.set(name, { file, line });
    }
  }
  // What Kamal passes the container (docker run -e) overrides the image's environment.
  const kamalEnv = deploy ? readKamalEnv(deploy, io.cwd) : undefined;
  for (const [name, { value, location, key }] of kamalEnv?.clear ?? []) {
    env[name] = value;
    origin.set(name, `${name} in ${location.file}:${location.line} (${key})`);
    originLine.set(name, location);
  }
  for (const [flag, name] of Object.entries(FLAG_VARIABLES)) {
    const value = args[flag as keyof typeof FLAG_VARIABLES];
    if (value !== undefined) {
      env[name] = value;
      origin.set(name, `--${flag}`);
      originLine.delete(name);
    }
  }
  // A secret's value is in .kamal/secrets, read only when Kamal deploys: say what was used instead.
  const notes: DeploymentFinding[] = [];
  for (const [name, { location, key }] of kamalEnv?.secret ?? []) {
    const flag = Object.entries(FLAG_VARIABLES).find(([, variable]) => variable === name)?.[0];
    if (flag === undefined || origin.get(name) === `--${flag}`) continue;
    notes.push({
      rule: 'invalid-settings',
      severity: 'info',
      key,
      location,
      message: `${name} comes from a Kamal secret, whose value is known only when Kamal deploys, so the check used ${
        env[name] === undefined ? 'the value the app would have without it' : origin.get(name)
      }`,
      fix: `pass --${flag} with the secret's value to check it`,
    });
  }

  const reading = readEnvSource(env);
  const refuses = 'the app refuses to start with it; correct it';
  const problems: DeploymentFinding[] = reading.problems.map((problem) => {
    const location = originLine.get(problem.setting);
    if (location === undefined)
      return invalid({ ...problem, setting: origin.get(problem.setting) ?? problem.setting }, refuses);
    const message = [problem.value, problem.message].filter((part) => part !== '').join(' ');
    return { rule: 'invalid-settings', severity: 'error', key: problem.setting, location, message, fix: refuses };
  });

  let probeTimeoutMs = DEFAULT_PROBE_TIMEOUT_MS;
  let probeTimeoutFrom = `the default of @upgate/health`;
  const timeout = args['probe-timeout'];
  if (timeout !== undefined) {
    const value = Number(timeout.trim());
    if (!/^\s*\d+\s*$/.test(timeout) || value < 1 || value > 2_147_483_647) {
      throw new UsageError(
        `--probe-timeout ${JSON.stringify(timeout)} is not a duration; write a whole number of milliseconds, e.g. 3000`,
      );
    }
    probeTimeoutMs = value;
    probeTimeoutFrom = '--probe-timeout';
  }

  const environment = reading.settings.environment ?? CHECK_ENVIRONMENT;
  const fromDeploy = !args['no-deploy-fallback'] && deploy?.proxy.enabled ? deploy : undefined;
  const sources: Record<string, string> = { probeTimeoutMs: probeTimeoutFrom };
  const given = (key: 'allowedHosts' | 'probePaths' | 'trustProxy' | 'port'): boolean => {
    const name = reading.given.get(key);
    if (name !== undefined) sources[key] = origin.get(name) ?? name;
    return name !== undefined;
  };
  const deployed = (config: KamalDeployConfig, key: string): string =>
    `${deployKeyName(config, key)}, which the app reads`;

  let allowedHosts: readonly string[] = [];
  if (given('allowedHosts')) allowedHosts = reading.settings.allowedHosts ?? [];
  else if (fromDeploy && fromDeploy.proxy.hosts.length > 0) {
    allowedHosts = fromDeploy.proxy.hosts;
    sources['allowedHosts'] = deployed(fromDeploy, fromDeploy.locate('proxy.hosts') ? 'proxy.hosts' : 'proxy.host');
  }
  // An unreadable deploy file is reported already; the allowlist it would give is unknown, not empty.
  const deployUnknown = deploy === undefined && !args['no-deploy-fallback'];
  if (allowedHosts.length === 0 && problems.length === 0 && !deployUnknown) {
    if (environment === 'development') {
      allowedHosts = DEVELOPMENT_ALLOWED_HOSTS;
      sources['allowedHosts'] = "upgate's development default";
    } else {
      problems.push({
        rule: 'invalid-settings',
        severity: 'error',
        message: `the app has no allowed hosts, which only development allows (NODE_ENV is ${JSON.stringify(environment)}): it refuses to start`,
        fix: `give ALLOWED_HOSTS (or --allowed-hosts), or proxy.host in ${deploy?.file ?? args.config}`,
      });
    }
  }

  let probePaths: readonly string[] = DEFAULT_PROBE_PATHS;
  sources['probePaths'] = "upgate's default";
  if (given('probePaths')) probePaths = reading.settings.probePaths ?? [];
  else if (fromDeploy) {
    probePaths = [fromDeploy.proxy.healthcheck.path];
    sources['probePaths'] = deployed(fromDeploy, 'proxy.healthcheck.path');
  }

  let trustProxy: TrustProxy = false;
  sources['trustProxy'] = "upgate's default";
  if (given('trustProxy')) trustProxy = reading.settings.trustProxy ?? false;

  let port: number | undefined;
  if (given('port')) port = reading.settings.port;
  else if (fromDeploy) {
    port = fromDeploy.proxy.appPort;
    sources['port'] = deployed(fromDeploy, 'proxy.app_port');
  }

  const redirects: { https?: boolean; trailingSlash?: 'add' | 'strip' } = {};
  if (args['https-redirect']) redirects.https = true;
  const slash = args['trailing-slash-redirect'];
  if (slash === 'add' || slash === 'strip') redirects.trailingSlash = slash;

  return {
    environment,
    problems,
    notes,
    settings: {
      allowedHosts,
      probePaths,
      trustProxy,
      ...(port === undefined ? {} : { port }),
      probeTimeoutMs,
      redirects,
      sources,
    },
  };
}

/** The line (1-based) of a dotenv text where the variable is last assigned, as it wins. */
function lineOf(text: string, name: string): number | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] ?? '').replace(/^\s*export\s+/, '').trimStart();
    if (line.startsWith(`${name}=`) || new RegExp(`^${name}\\s*=`).test(line)) return i + 1;
  }
  return undefined;
}

/** A problem from a loader, as an error finding (with the file and line its `setting` names). */
function invalid(problem: ConfigProblem, fix: string): DeploymentFinding {
  const located = /^(?<file>.+?):(?<line>\d+)(?:: (?<key>.+))?$/.exec(problem.setting)?.groups;
  const text = [problem.value, problem.message].filter((part) => part !== '').join(' ');
  if (located?.['file'] !== undefined) {
    const key = located['key'];
    return {
      rule: 'invalid-settings',
      severity: 'error',
      ...(key ? { key } : {}),
      location: { file: located['file'], line: Number(located['line']) },
      message: text,
      fix,
    };
  }
  return { rule: 'invalid-settings', severity: 'error', message: `${problem.setting}: ${text}`, fix };
}

function report(
  file: string,
  destination: string | undefined,
  app: AppSide,
  findings: readonly DeploymentFinding[],
): string {
  const lines: string[] = [];
  lines.push(
    `upgate check: ${file}${destination ? ` (destination ${destination})` : ''} against the app's settings (NODE_ENV ${app.environment})`,
  );
  if (app.problems.length === 0) {
    const s = app.settings;
    const from = (key: keyof NonNullable<DeploymentAppSettings['sources']>) =>
      s.sources?.[key] ? `  (${s.sources[key]})` : '';
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
    lines.push(`  probe timeout  ${s.probeTimeoutMs} ms${from('probeTimeoutMs')}`);
  }
  lines.push('');
  for (const finding of findings) lines.push(formatFinding(finding, file), '');
  lines.push(formatSummary(findings));
  return `${lines.join('\n')}\n`;
}
