/**
 * `loadSettings`: every source read, merged by precedence, checked against each other and
 * defaulted, with all problems reported in one error.
 */
import { compileHostAllowlist } from '../host/host-matcher.js';
import {
  DEFAULT_ENVIRONMENT,
  DEFAULT_PROBE_PATHS,
  DEVELOPMENT_ALLOWED_HOSTS,
  type UpgateOptions,
  type UpgateSettings,
} from '../settings.js';
import { UpgateConfigError, type ConfigProblem } from '../upgate-config.error.js';
import { deployKeyName, readDeploySource } from './deploy-file-source.js';
import { readEnvSource, type Environment } from './env-source.js';
import type { KamalDeployConfig } from './kamal/kamal-deploy-config.js';
import { readKamalDeployFile } from './kamal/read-kamal-deploy-file.js';
import { readObjectSource } from './object-source.js';
import type { SettingKey, SourceReading } from './source-reading.js';

/** Where `loadSettings` takes the settings from. */
export interface UpgateSources {
  /**
   * Settings written in code; the highest precedence.
   * @default undefined — none.
   */
  options?: UpgateOptions;
  /**
   * Environment variables (`ALLOWED_HOSTS`, `HEALTH_PROBE_PATHS`, `TRUST_PROXY`,
   * `HOST_REJECT_STATUS`, `NODE_ENV`, `PORT`); below `options`. Pass `{}` to ignore the environment.
   * @default process.env
   */
  env?: Environment;
  /**
   * Kamal's deploy file (`'config/deploy.yml'`), relative to `cwd`; the lowest precedence. A
   * library does not read files it was not told about, so none is read unless given.
   * @default false — no deploy file.
   */
  deployFile?: string | false;
  /**
   * Kamal destination: `deploy.<destination>.yml` is merged over the deploy file. Only with `deployFile`.
   * @default undefined — the deploy file alone.
   */
  destination?: string;
  /**
   * Directory `deployFile` is resolved against, and file names in messages are shown relative to.
   * @default process.cwd()
   */
  cwd?: string;
}

const FIELDS: readonly SettingKey[] = [
  'allowedHosts',
  'probePaths',
  'trustProxy',
  'rejectStatus',
  'environment',
  'port',
];

interface Merged {
  settings: { -readonly [K in SettingKey]?: UpgateSettings[K] };
  /** For each field, the reading it came from and the setting name to blame. */
  from: Map<SettingKey, { reading: SourceReading; name: string }>;
}

/** Per field, the highest source that gives it (even with a bad value, which is then reported, not replaced). */
function merge(readings: readonly SourceReading[]): Merged {
  const merged: Merged = { settings: {}, from: new Map() };
  for (const key of FIELDS) {
    for (const reading of readings) {
      const name = reading.given.get(key);
      if (name === undefined) continue;
      merged.from.set(key, { reading, name });
      break;
    }
    const reading = merged.from.get(key)?.reading;
    if (!reading) continue;
    const value = reading.settings[key];
    if (value !== undefined) (merged.settings as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/**
 * Loads upgate's settings. Each field comes from the highest source that gives it:
 * **explicit `options` > environment variables > Kamal deploy file > defaults**. A list is taken
 * whole from one source, never concatenated across sources.
 *
 * Defaults: `probePaths` `['/up']`, `trustProxy` `false`, `rejectStatus` 400, `environment`
 * `'development'`, `port` undefined. `allowedHosts` has no default outside development: an empty
 * allowlist there is an error naming the settings to give (`ALLOWED_HOSTS`, `allowedHosts`, or
 * `proxy.host` in the deploy file); in development it is `.localhost, 127.0.0.1, [::1]`.
 *
 * Where a higher source overrides the deploy file, most overlaps are settled by precedence, but
 * three would break the deploy or the site, and are errors:
 * - probe paths that leave out `proxy.healthcheck.path` (`/up` when not set): kamal-proxy would
 *   probe a path that upgate does not answer, get the host check's 400, and never switch traffic;
 * - a port that differs from `proxy.app_port` (80 when not set): kamal-proxy sends requests and
 *   probes to a port the app does not listen on;
 * - an allowlist that does not allow one of `proxy.host`/`proxy.hosts`: kamal-proxy routes that
 *   host to the app, which would reject every request for it.
 * An allowlist wider than the proxy's hosts is fine (those hosts never arrive through kamal-proxy),
 * and `trustProxy` has no deploy-file counterpart: kamal-proxy passes `Host` on unchanged.
 *
 * @throws UpgateConfigError listing every problem of every source and every contradiction at once.
 */
export function loadSettings(sources: UpgateSources = {}): UpgateSettings {
  const problems: ConfigProblem[] = [];
  const deployProblems: ConfigProblem[] = [];
  const cwd = sources.cwd ?? process.cwd();

  const readings: SourceReading[] = [readObjectSource(sources.options), readEnvSource(sources.env ?? process.env)];
  let deploy: { config: KamalDeployConfig; reading: SourceReading } | undefined;
  let deployFailed = false;
  if (sources.deployFile !== undefined && sources.deployFile !== false) {
    try {
      const config = readKamalDeployFile(sources.deployFile, {
        cwd,
        ...(sources.destination === undefined ? {} : { destination: sources.destination }),
      });
      deploy = { config, reading: readDeploySource(config) };
      readings.push(deploy.reading);
    } catch (error) {
      if (!(error instanceof UpgateConfigError)) throw error;
      deployFailed = true;
      deployProblems.push(...error.problems);
    }
  } else if (sources.destination !== undefined) {
    deployProblems.push({
      setting: 'destination',
      value: JSON.stringify(sources.destination),
      message:
        "is given without deployFile, so there is nothing to merge it into; give deployFile: 'config/deploy.yml' as well",
    });
  }
  // In order of precedence: options, environment, deploy file.
  for (const reading of readings) problems.push(...reading.problems);
  problems.push(...deployProblems);

  const merged = merge(readings);
  if (deploy?.config.proxy.enabled) problems.push(...contradictions(merged, deploy.config, deploy.reading));

  const environment = merged.settings.environment ?? DEFAULT_ENVIRONMENT;
  let allowedHosts = merged.settings.allowedHosts ?? [];
  if (allowedHosts.length === 0) {
    // A source that failed may well have given hosts: its own problems are reported instead.
    const hostsFailed = deployFailed || (merged.from.get('allowedHosts')?.reading.problems.length ?? 0) > 0;
    if (environment === 'development') allowedHosts = DEVELOPMENT_ALLOWED_HOSTS;
    else if (!hostsFailed) problems.push(emptyAllowlist(environment, merged, sources.deployFile));
  }

  if (problems.length > 0) throw new UpgateConfigError(problems);
  const settings: UpgateSettings = {
    allowedHosts: Object.freeze([...allowedHosts]),
    probePaths: Object.freeze([...(merged.settings.probePaths ?? DEFAULT_PROBE_PATHS)]),
    trustProxy:
      typeof merged.settings.trustProxy === 'object'
        ? Object.freeze([...merged.settings.trustProxy])
        : (merged.settings.trustProxy ?? false),
    rejectStatus: merged.settings.rejectStatus ?? 400,
    environment,
    ...(merged.settings.port === undefined ? {} : { port: merged.settings.port }),
  };
  return Object.freeze(settings);
}

function emptyAllowlist(environment: string, merged: Merged, deployFile: string | false | undefined): ConfigProblem {
  const where = merged.from.get('environment')?.name ?? `environment (default "${DEFAULT_ENVIRONMENT}")`;
  const deploy =
    typeof deployFile === 'string'
      ? `proxy.host in ${deployFile}`
      : 'proxy.host in a Kamal deploy file read with loadSettings({ deployFile })';
  return {
    setting: 'allowed hosts',
    value: '',
    message:
      `are empty, which only development allows (${where} is ${JSON.stringify(environment)}); ` +
      `give ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=app.example.com), the allowedHosts option, or ${deploy}`,
  };
}

/** Higher sources that contradict the deploy file in a way that breaks the deploy (see `loadSettings`). */
function contradictions(merged: Merged, deploy: KamalDeployConfig, deployReading: SourceReading): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const overriding = (key: SettingKey): string | undefined => {
    const from = merged.from.get(key);
    return from && from.reading !== deployReading ? from.name : undefined;
  };
  const { proxy } = deploy;
  const isEnv = (name: string): boolean => /^[A-Z_]+$/.test(name);

  const pathsFrom = overriding('probePaths');
  const paths = merged.settings.probePaths;
  const probed = proxy.healthcheck.path;
  if (pathsFrom && paths && deployReading.settings.probePaths && !paths.includes(probed)) {
    const written = deploy.locate('proxy.healthcheck.path');
    const source = written
      ? `${written.file}:${written.line}: proxy.healthcheck.path`
      : `Kamal's default: ${deploy.file} sets no proxy.healthcheck.path`;
    const fix = isEnv(pathsFrom) ? JSON.stringify([...paths, probed].join(',')) : JSON.stringify([...paths, probed]);
    problems.push({
      setting: pathsFrom,
      value: isEnv(pathsFrom) ? JSON.stringify(paths.join(',')) : JSON.stringify(paths),
      message: `leaves out ${JSON.stringify(probed)}, the path kamal-proxy checks (${source}); its probes (Host: the container id) would be rejected and the deploy would never turn healthy; add it: ${fix}`,
    });
  }

  const portFrom = overriding('port');
  const port = merged.settings.port;
  if (portFrom && port !== undefined && port !== proxy.appPort) {
    const written = deploy.locate('proxy.app_port');
    const message = written
      ? `differs from proxy.app_port ${proxy.appPort} (${written.file}:${written.line}), the port kamal-proxy sends requests and probes to; make them equal`
      : `differs from ${proxy.appPort}, the port kamal-proxy sends requests and probes to (Kamal's default: ${deploy.file} sets no proxy.app_port); set proxy.app_port: ${port} there`;
    problems.push({ setting: portFrom, value: isEnv(portFrom) ? JSON.stringify(String(port)) : String(port), message });
  }

  const hostsFrom = overriding('allowedHosts');
  const allowed = merged.settings.allowedHosts;
  const proxied = deployReading.settings.allowedHosts;
  if (hostsFrom && allowed && allowed.length > 0 && proxied) {
    const matcher = compileHostAllowlist(allowed, hostsFrom);
    const missing = proxied.filter((host) => !allowsProxyHost(matcher.allowsHost.bind(matcher), host));
    if (missing.length > 0) {
      const key = deploy.locate('proxy.hosts') ? 'proxy.hosts' : 'proxy.host';
      const list = missing.map((h) => JSON.stringify(h)).join(', ');
      problems.push({
        setting: hostsFrom,
        value: isEnv(hostsFrom) ? JSON.stringify(allowed.join(',')) : JSON.stringify(allowed),
        message: `does not allow ${list}, which kamal-proxy routes to this app (${deployKeyName(deploy, key)}), so every request for it would be rejected; add ${missing.length === 1 ? 'it' : 'them'}`,
      });
    }
  }
  return problems;
}

/** A label no allowlist names, to test whether a wildcard proxy host's subdomains are allowed as a whole. */
const PROBE_LABEL = 'upgate-wildcard-check';

/** Whether the allowlist allows a proxy host entry (`app.example.com`, or `*.example.com` for all its subdomains). */
function allowsProxyHost(allowsHost: (host: string) => boolean, host: string): boolean {
  if (host === '*') return allowsHost(`${PROBE_LABEL}.example`);
  if (host.startsWith('*.'))
    return (
      allowsHost(`${PROBE_LABEL}.${host.slice(2)}`) && allowsHost(`${PROBE_LABEL}.${PROBE_LABEL}.${host.slice(2)}`)
    );
  if (host.startsWith('.')) return allowsHost(host.slice(1)) && allowsHost(`${PROBE_LABEL}.${host.slice(1)}`);
  return allowsHost(host);
}
