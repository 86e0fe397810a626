/**
 * `checkDeployment`: compares what kamal-proxy will do (a Kamal deploy file, as
 * `readKamalDeployFile` reads it) with what the app will do (its upgate settings), and returns every
 * mismatch. Pure: no file, environment or network access; the CLI gathers the inputs.
 */
import { compileHostAllowlist, type HostAllowlistMatcher } from '../host/host-matcher.js';
import { KAMAL_PROXY_DEFAULTS, type KamalDeployConfig, type KamalLocation } from '../load/kamal/kamal-deploy-config.js';
import { coversProxyHost, proxyHostSample } from '../resolve/covers-proxy-host.js';
import type { TrustProxy } from '../settings.js';
import { UpgateConfigError } from '../upgate-config.error.js';
import type { DeploymentFinding } from './deployment-finding.js';
import { kamalHealthCheckRequestPath } from './kamal-health-check-path.js';

/** The app's settings that matter to a deployment, with where each came from. */
export interface DeploymentAppSettings {
  /** The host allowlist the app enforces (`ALLOWED_HOSTS`). */
  readonly allowedHosts: readonly string[];
  /** The paths upgate answers whatever the Host (`HEALTH_PROBE_PATHS`). */
  readonly probePaths: readonly string[];
  /** Whether the app believes `X-Forwarded-*` (`TRUST_PROXY`). @default false */
  readonly trustProxy?: TrustProxy;
  /** The port the app listens on (`PORT`). @default undefined — unknown: the port rule reports it. */
  readonly port?: number;
  /**
   * The deadline of one run of a probe's checks, in milliseconds (`@upgate/health`'s
   * `probeTimeoutMs`). @default undefined — unknown: the timeout rule reports it.
   */
  readonly probeTimeoutMs?: number;
  /**
   * Redirects the app's own code performs (upgate answers its probe paths before any of them).
   * @default {} — none.
   */
  readonly redirects?: {
    /** Plain HTTP is redirected to `https://` (e.g. a "force HTTPS" middleware). @default false */
    readonly https?: boolean;
    /** Paths are redirected to their form with (`add`) or without (`strip`) a trailing slash. @default undefined — neither */
    readonly trailingSlash?: 'add' | 'strip';
  };
  /**
   * Where each value came from, as a person would look for it (`ALLOWED_HOSTS (environment)`,
   * `--port`, `config/deploy.yml:17: proxy.hosts`, `default`). Used in messages only.
   * @default {} — messages name the setting alone.
   */
  readonly sources?: Partial<Record<ComparedSetting, string>>;
  /**
   * Where to change each value, for the fixes: `the probePaths option`, `HEALTH_PROBE_PATHS in
   * config/deploy.yml:52 (env.clear.HEALTH_PROBE_PATHS)`. A fix that names a place the app does not
   * read its value from cannot work (the code option wins over the variable).
   * @default {} — the variables: ALLOWED_HOSTS, HEALTH_PROBE_PATHS, PORT, TRUST_PROXY.
   */
  readonly changeAt?: Partial<Record<ComparedSetting, string>>;
}

/** The settings `checkDeployment` compares. */
export type ComparedSetting = 'allowedHosts' | 'probePaths' | 'trustProxy' | 'port' | 'probeTimeoutMs';

/** A stand-in for kamal-proxy's probe Host: a 12-hex container id and the app port. */
const CONTAINER_ID = '7c7168a662c1';

export function checkDeployment(deploy: KamalDeployConfig, app: DeploymentAppSettings): DeploymentFinding[] {
  const findings: DeploymentFinding[] = [];
  const proxy = deploy.proxy;
  if (!proxy.enabled) {
    findings.push({
      rule: 'proxy-disabled',
      severity: 'info',
      key: `servers.${deploy.primaryRole}.proxy`,
      ...at(deploy, `servers.${deploy.primaryRole}.proxy`),
      message: `the primary role '${deploy.primaryRole}' runs without kamal-proxy (proxy: false), so there is no health check, host routing or app_port to compare`,
      fix: 'none needed if that is intended; otherwise remove proxy: false from the role',
    });
    return findings;
  }

  let allowlist: HostAllowlistMatcher | undefined;
  try {
    allowlist = compileHostAllowlist(app.allowedHosts, 'allowed hosts');
  } catch (error) {
    if (!(error instanceof UpgateConfigError)) throw error;
    for (const problem of error.problems) {
      findings.push({
        rule: 'invalid-settings',
        severity: 'error',
        message: `the app's ${problem.setting}${from(app, 'allowedHosts')}: ${problem.value} ${problem.message}`,
        fix: 'correct the entry: the app refuses to start with it',
      });
    }
  }

  findings.push(...checkProbePath(deploy, app, allowlist));
  if (allowlist) findings.push(...checkHosts(deploy, app, allowlist));
  findings.push(...checkPort(deploy, app));
  findings.push(...checkForwardedHeaders(deploy, app));
  findings.push(...checkTimeout(deploy, app));
  return findings;
}

function checkProbePath(
  deploy: KamalDeployConfig,
  app: DeploymentAppSettings,
  allowlist: HostAllowlistMatcher | undefined,
): DeploymentFinding[] {
  const key = 'proxy.healthcheck.path';
  const configured = deploy.proxy.healthcheck.path;
  const written = at(deploy, key);
  const whose = written.location
    ? `proxy.healthcheck.path ${quote(configured)}`
    : `its default ${quote(configured)} (proxy.healthcheck.path is not set)`;
  const requested = kamalHealthCheckRequestPath(configured);
  const port = deploy.proxy.appPort;
  const probeHost = `${CONTAINER_ID}:${port}`;

  if (requested === undefined) {
    return [
      {
        rule: 'probe-path',
        severity: 'error',
        key,
        ...written,
        message: `${quote(configured)} holds an invalid %-escape: kamal-proxy cannot build a URL from it and checks / instead`,
        fix: `write the path plainly, e.g. ${quote(app.probePaths[0] ?? '/up')}`,
      },
    ];
  }
  if (app.probePaths.includes(requested)) return [];

  const appPaths = app.probePaths.length > 0 ? app.probePaths.map(quote).join(', ') : 'none';
  // A query or fragment reaches no app: Go escapes `?` and `#` into the path it requests.
  const cut = configured.search(/[?#]/);
  const alone = cut < 0 ? undefined : kamalHealthCheckRequestPath(configured.slice(0, cut));
  const part = configured.charAt(cut) === '?' ? 'query' : 'fragment';
  const requests =
    requested === configured
      ? ''
      : ` and requests it as ${quote(requested)} (Go's url.JoinPath cleans and escapes the path)`;
  const escapeNote =
    alone === undefined
      ? ''
      : ` No ${part} reaches the app: Go escapes the ${quote(configured.charAt(cut))} into the path.`;
  const near = app.probePaths.find((p) => sameIgnoringSlashAndCase(p, requested));
  const nearNote = near
    ? ` It is not the probe ${quote(near)}: probe paths match exactly, with no trailing-slash or case folding.`
    : '';
  const reachesApp = allowlist?.allowsHost(probeHost) ?? false;
  const outcome = reachesApp
    ? `so upgate does not answer it and the request goes to the app's routes`
    : `so upgate applies the host check to it, and kamal-proxy's Host '<container-id>:${port}' is not allowed: 400, and the deploy times out`;
  const findings: DeploymentFinding[] = [
    {
      rule: 'probe-path',
      severity: 'error',
      key,
      ...written,
      message:
        `kamal-proxy checks ${whose}${requests}, which is not a probe path of the app ` +
        `(${appPaths}${from(app, 'probePaths')}), ${outcome}.${escapeNote}${nearNote}`,
      fix:
        alone !== undefined
          ? `write proxy.healthcheck.path without the ${part}: ${
              app.probePaths.includes(alone)
                ? `${quote(alone)}, a probe path of the app`
                : `${quote(alone)}, and make it a probe path of the app (${app.changeAt?.probePaths ?? 'HEALTH_PROBE_PATHS'})${
                    app.probePaths.length > 0 ? `; or one of the app's probe paths (${appPaths})` : ''
                  }`
            }`
          : `add ${quote(requested)} to the app's probe paths (${app.changeAt?.probePaths ?? 'HEALTH_PROBE_PATHS'}), or set proxy.healthcheck.path to ${
              app.probePaths.length > 0 ? `one of them (${appPaths})` : `the app's liveness path`
            }`,
    },
  ];

  if (reachesApp) {
    const redirects = app.redirects ?? {};
    const bare = requested.split('?')[0] ?? requested;
    if (redirects.https) {
      findings.push({
        rule: 'probe-redirect',
        severity: 'error',
        key,
        ...written,
        message:
          `the app redirects plain HTTP to https://, and kamal-proxy's probe of ${quote(requested)} reaches the app's code: ` +
          `kamal-proxy follows the redirect to https://<container-id>:${port}${requested}, where the app speaks plain HTTP, and the check fails`,
        fix: `make ${quote(requested)} a probe path of the app (upgate answers probes before any redirect), or exempt it from the HTTPS redirect`,
      });
    }
    const slash = redirects.trailingSlash;
    if (bare !== '/' && ((slash === 'strip' && bare.endsWith('/')) || (slash === 'add' && !bare.endsWith('/')))) {
      const target = slash === 'strip' ? bare.replace(/\/+$/, '') || '/' : `${bare}/`;
      findings.push({
        rule: 'probe-redirect',
        severity: 'error',
        key,
        ...written,
        message: `the app redirects ${quote(bare)} to ${quote(target)} (trailing slash ${slash === 'strip' ? 'removed' : 'added'}); kamal-proxy follows the redirect, so its check depends on what the app's routes answer there, not on a probe`,
        fix: `set proxy.healthcheck.path to ${quote(target)} and make it a probe path of the app`,
      });
    }
  }
  return findings;
}

function checkHosts(
  deploy: KamalDeployConfig,
  app: DeploymentAppSettings,
  allowlist: HostAllowlistMatcher,
): DeploymentFinding[] {
  const hosts = deploy.proxy.hosts;
  if (hosts.length === 0) {
    return [
      {
        rule: 'host-not-allowed',
        severity: 'warning',
        key: 'proxy.host',
        ...at(deploy, 'proxy'),
        message:
          'proxy sets no host, so kamal-proxy forwards requests for every host not claimed by another app on the server, ' +
          `and cannot get a TLS certificate; the app's allowlist (${list(allowlist.allowedHosts)}${from(app, 'allowedHosts')}) is the only host check`,
        fix: 'set proxy.host (or proxy.hosts) to the names the app serves',
      },
    ];
  }
  const findings: DeploymentFinding[] = [];
  hosts.forEach((host, index) => {
    const key = deploy.locate(`proxy.hosts[${index}]`)
      ? `proxy.hosts[${index}]`
      : deploy.locate('proxy.hosts')
        ? 'proxy.hosts'
        : 'proxy.host';
    if (coversProxyHost(allowlist, host)) return;
    // kamal-proxy may route wildcard hosts (`*.example.com`): name one it would route.
    const sample = proxyHostSample(host);
    const what = sample === host ? quote(host) : `${quote(host)} (e.g. ${quote(sample)})`;
    findings.push({
      rule: 'host-not-allowed',
      severity: 'error',
      key,
      ...at(deploy, key),
      message: `kamal-proxy routes ${what} to the app, but the app's allowed hosts (${list(allowlist.allowedHosts)}${from(app, 'allowedHosts')}) do not allow it: every request for it gets 400`,
      fix: `add ${quote(host.startsWith('*.') ? host.slice(1) : host)} to the app's allowed hosts (${app.changeAt?.allowedHosts ?? 'ALLOWED_HOSTS'}), or remove it from ${key.replace(/\[\d+\]$/, '')}`,
    });
  });
  return findings;
}

function checkPort(deploy: KamalDeployConfig, app: DeploymentAppSettings): DeploymentFinding[] {
  const key = 'proxy.app_port';
  const written = at(deploy, key);
  const deployPort = deploy.proxy.appPort;
  const whose = written.location
    ? `proxy.app_port ${deployPort}`
    : `port ${deployPort}, its default (proxy.app_port is not set)`;
  if (app.port === undefined) {
    return [
      {
        rule: 'app-port',
        severity: 'info',
        key,
        ...written,
        message: `kamal-proxy sends requests and probes to ${whose}; the app's port is not known here, so it was not compared`,
        fix: 'pass --port (or PORT) to compare it',
      },
    ];
  }
  if (app.port === deployPort) return [];
  return [
    {
      rule: 'app-port',
      severity: 'error',
      key,
      ...written,
      message: `kamal-proxy sends requests and probes to ${whose}, but the app listens on ${app.port}${from(app, 'port')}: nothing answers, and the deploy times out`,
      fix: written.location
        ? `set proxy.app_port to ${app.port}, or ${appSetting(app.changeAt?.port, 'PORT')} to ${deployPort}`
        : `set proxy.app_port: ${app.port} (kamal-proxy's default is ${KAMAL_PROXY_DEFAULTS.appPort})`,
    },
  ];
}

function checkForwardedHeaders(deploy: KamalDeployConfig, app: DeploymentAppSettings): DeploymentFinding[] {
  const { ssl, forwardHeaders } = deploy.proxy;
  const trust = app.trustProxy ?? false;
  const trusts = trust === true || (Array.isArray(trust) && trust.length > 0);
  if (!ssl || forwardHeaders || !trusts) return [];
  const trustText = trust === true ? 'true' : (trust as readonly string[]).join(',');
  return [
    {
      rule: 'forwarded-headers',
      severity: 'warning',
      key: 'proxy.ssl',
      ...at(deploy, 'proxy.ssl'),
      message:
        `proxy.ssl is on and proxy.forward_headers is not, so kamal-proxy does not pass on the X-Forwarded-For/-Proto/-Host it receives: ` +
        `it sends its own (the address it sees, https, the Host). The app trusts forwarded headers (trustProxy ${trustText}${from(app, 'trustProxy')}), ` +
        'which only makes sense for values set by a proxy in front of kamal-proxy, and those never arrive',
      fix:
        'if a proxy or CDN in front of kamal-proxy sets X-Forwarded-*, set proxy.forward_headers: true; ' +
        `if kamal-proxy is the edge, set ${appSetting(app.changeAt?.trustProxy, 'TRUST_PROXY')} to false`,
    },
  ];
}

function checkTimeout(deploy: KamalDeployConfig, app: DeploymentAppSettings): DeploymentFinding[] {
  const key = 'proxy.healthcheck.timeout';
  const written = at(deploy, key);
  const timeout = deploy.proxy.healthcheck.timeout ?? KAMAL_PROXY_DEFAULTS.healthcheckTimeout;
  const whose = written.location
    ? `after ${timeout} s (proxy.healthcheck.timeout)`
    : `after ${timeout} s, its default (proxy.healthcheck.timeout is not set)`;
  if (app.probeTimeoutMs === undefined) {
    return [
      {
        rule: 'healthcheck-timeout',
        severity: 'info',
        key,
        ...written,
        message: `kamal-proxy gives up on a health check ${whose}; the app's probe deadline is not known here, so it was not compared`,
        fix: "pass --probe-timeout with the app's probeTimeoutMs to compare it",
      },
    ];
  }
  if (app.probeTimeoutMs < timeout * 1000) return [];
  return [
    {
      rule: 'healthcheck-timeout',
      severity: 'error',
      key,
      ...written,
      message:
        `kamal-proxy gives up on a health check ${whose}, but the app lets a probe's checks run for up to ${app.probeTimeoutMs} ms` +
        `${from(app, 'probeTimeoutMs')}: a probe the app would answer in time counts as a failure, and a slow check shows up as a timeout instead of a 503 saying which check failed`,
      fix: `lower the app's probeTimeoutMs below ${timeout * 1000} (e.g. ${Math.max(timeout * 500, timeout * 1000 - 1000)}), or raise proxy.healthcheck.timeout to ${Math.ceil(app.probeTimeoutMs / 1000) + 1}`,
    },
  ];
}

/** `{ location }` when the key is written, `{}` when a default applies. */
function at(deploy: KamalDeployConfig, key: string): { location?: KamalLocation } {
  const location = deploy.locate(key);
  return location ? { location } : {};
}

function from(app: DeploymentAppSettings, setting: ComparedSetting): string {
  const source = app.sources?.[setting];
  return source ? `, from ${source}` : '';
}

const quote = (value: string): string => `'${value}'`;

/** `the app's PORT` for a variable, or the place as given (`the port option`, `PORT in .env:3`). */
function appSetting(changeAt: string | undefined, variable: string): string {
  const where = changeAt ?? variable;
  return /^[A-Z_]+$/.test(where) ? `the app's ${where}` : where;
}
const list = (values: readonly string[]): string => (values.length > 0 ? values.map(quote).join(', ') : 'none');

function sameIgnoringSlashAndCase(a: string, b: string): boolean {
  const norm = (p: string) =>
    p
      .toLowerCase()
      .replace(/\/+$/, '')
      .replace(/\/{2,}/g, '/');
  return norm(a) === norm(b);
}
