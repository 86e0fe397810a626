/**
 * `resolveSettings`: the one place where upgate's sources are weighed against each other. Every
 * other way in (`loadSettings`, HealthModule, `upgate check`) calls it and only decides what to do
 * with its answer: throw, log, or compare with a deploy file.
 */
import { compileHostAllowlist } from '../host/host-matcher.js';
import { checkProbePath } from '../host/probe-path.js';
import type { DeployFileReading } from '../load/deploy-file-reading.js';
import { proxyHostsKey, readDeploySource } from '../load/deploy-file-source.js';
import { readEnvSource, type Environment } from '../load/env-source.js';
import type { KamalDeployConfig } from '../load/kamal/kamal-deploy-config.js';
import { readObjectSource } from '../load/object-source.js';
import type { GivenSetting, SourceReading } from '../load/source-reading.js';
import {
  DEFAULT_ENVIRONMENT,
  DEFAULT_PROBE_PATHS,
  DEVELOPMENT_ALLOWED_HOSTS,
  SETTING_KEYS,
  type SettingKey,
  type UpgateOptions,
  type UpgateSettings,
} from '../settings.js';
import type { ConfigProblem } from '../upgate-config.error.js';
import { coversProxyHost } from './covers-proxy-host.js';
import { defaultOrigin, type SettingOrigin } from './setting-origin.js';

/** Where `resolveSettings` takes the settings from, highest precedence first. */
export interface SettingsSources {
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
   * Kamal's deploy file, read with `readDeployFile` of `@upgate/config/kamal`; the lowest
   * precedence. Its problems are reported with the other sources'. A library reads no file it was
   * not told about, so there is none unless given.
   * @default undefined — no deploy file.
   */
  deployFile?: DeployFileReading;
  /**
   * Paths the app answers as probes besides the probe paths setting, whichever source gives that:
   * HealthModule's `probes` keys, readiness and startup paths, one group per option. They are added
   * to the probe paths (never replacing them), each checked as a probe path and named in problems
   * by its group's `setting(path)`.
   * @default [] — none.
   */
  extraProbePaths?: readonly ExtraProbePaths[];
}

/** A group of paths an app answers as probes, from one option (see `SettingsSources.extraProbePaths`). */
export interface ExtraProbePaths {
  readonly paths: readonly string[];
  readonly origin: SettingOrigin;
  readonly setting: (path: string) => string;
}

/** What the sources give, and everything said about them. */
export interface SettingsResolution {
  /**
   * The settings the app runs with. `undefined` when a value it would use is invalid or the deploy
   * file cannot be read; present (and what the app would do) when the only problems are
   * contradictions with the deploy file or an empty allowlist. The app starts only when `problems`
   * is empty.
   */
  readonly settings: UpgateSettings | undefined;
  /**
   * Where each setting came from; several origins when sources add up (development's hosts plus
   * the deploy file's, the probe paths plus HealthModule's `probes` keys).
   */
  readonly origins: Readonly<Record<SettingKey, readonly SettingOrigin[]>>;
  /** What stops the app, all of it: invalid values, an empty allowlist, contradictions with the deploy file. */
  readonly problems: readonly ConfigProblem[];
  /**
   * What does not stop it but must not pass unseen: a setting overridden by a higher source (and the
   * problems of such a value, which is not used), contradictions with the deploy file in development.
   */
  readonly warnings: readonly ConfigProblem[];
  /** The deploy file read, as given. */
  readonly deployFile: DeployFileReading | undefined;
}

/**
 * Resolves upgate's settings. Each comes from the highest source that gives it:
 * **`options` > environment variables > Kamal deploy file > defaults**. A list is taken whole from
 * one source, never concatenated across sources (except the two additions below).
 *
 * Nothing is overridden silently: when a higher source gives a value other than a lower one's,
 * a warning names both (`HEALTH_PROBE_PATHS: "/health" is overridden by the probePaths option
 * ["/up"]`), and a bad value in the lower source is a warning naming the winner, not a problem.
 *
 * The deploy file is what kamal-proxy does, so a higher source that leaves out part of it is a
 * contradiction rather than a plain override: probe paths without `proxy.healthcheck.path`, a port
 * other than `proxy.app_port`, an allowlist that rejects one of `proxy.host(s)`. Outside
 * development each stops the app; in development it is a warning. A higher source that agrees with
 * the deploy file (probe paths beyond the health check, a wider allowlist) is no warning.
 *
 * Development (environment unset or `development`) also just works: without any allowlist it
 * allows `.localhost`, `127.0.0.1`, `[::1]`, and with the deploy file's hosts it allows those *and*
 * the deploy file's.
 */
export function resolveSettings(sources: SettingsSources = {}): SettingsResolution {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const deployFile = sources.deployFile;
  const config = deployFile?.config;
  const deployReading = config ? readDeploySource(config) : undefined;
  const readings: SourceReading[] = [readObjectSource(sources.options), readEnvSource(sources.env ?? process.env)];
  if (deployReading) readings.push(deployReading);

  const winners = new Map<SettingKey, number>();
  for (const key of SETTING_KEYS) {
    const index = readings.findIndex((reading) => reading.given.has(key));
    if (index >= 0) winners.set(key, index);
  }
  const winner = (key: SettingKey): { index: number; reading: SourceReading; given: GivenSetting } | undefined => {
    const index = winners.get(key);
    if (index === undefined) return undefined;
    const reading = readings[index] as SourceReading;
    return { index, reading, given: reading.given.get(key) as GivenSetting };
  };
  const valid = (key: SettingKey): boolean => {
    const won = winner(key);
    return won === undefined || !won.reading.problems.some((p) => p.key === key);
  };

  // Problems in the order of the sources; those of a value a higher source overrides are warnings.
  readings.forEach((reading, index) => {
    for (const { key, problem } of reading.problems) {
      const won = key === undefined ? undefined : winner(key);
      if (key === undefined || won === undefined || won.index >= index) {
        problems.push(problem);
        continue;
      }
      const own = reading.given.get(key);
      // The same value as the winner's (an option filled from the same variable): its problems are the winner's.
      if (own !== undefined && own.same === won.given.same) continue;
      warnings.push({ ...problem, message: `${problem.message} (not used: ${label(won.given)} overrides it)` });
    }
  });
  problems.push(...(deployFile?.problems ?? []));

  // Overrides between the app's own sources; the deploy file's are contradictions, weighed below.
  for (const key of SETTING_KEYS) {
    const won = winner(key);
    if (won === undefined) continue;
    for (let index = won.index + 1; index < readings.length; index++) {
      const reading = readings[index] as SourceReading;
      const lower = reading.given.get(key);
      if (lower === undefined || reading === deployReading || lower.same === won.given.same) continue;
      if (reading.problems.some((p) => p.key === key)) continue;
      warnings.push({ setting: lower.name, value: lower.shown, message: `is overridden by ${label(won.given)}` });
    }
  }

  const environment = winner('environment')?.reading.settings.environment ?? DEFAULT_ENVIRONMENT;
  const development = environment === 'development';
  const origins: Record<SettingKey, SettingOrigin[]> = {
    allowedHosts: [],
    probePaths: [],
    trustProxy: [],
    rejectStatus: [],
    environment: [],
    port: [],
  };
  for (const key of SETTING_KEYS) {
    const won = winner(key);
    if (won) origins[key].push(won.given.origin);
  }
  const fromDeploy = (key: SettingKey): boolean =>
    deployReading !== undefined && winner(key)?.reading === deployReading;

  // The allowlist: development adds its local hosts to the deploy file's, and has them by default.
  let allowedHosts: readonly string[] = winner('allowedHosts')?.reading.settings.allowedHosts ?? [];
  if (development && fromDeploy('allowedHosts') && allowedHosts.length > 0) {
    allowedHosts = union(DEVELOPMENT_ALLOWED_HOSTS, allowedHosts);
    origins.allowedHosts.unshift(defaultOrigin('allowedHosts', "upgate's development hosts"));
  } else if (winner('allowedHosts') === undefined) {
    if (development) {
      allowedHosts = [...DEVELOPMENT_ALLOWED_HOSTS];
      origins.allowedHosts.push(defaultOrigin('allowedHosts', "upgate's development default"));
    } else if ((deployFile?.problems.length ?? 0) === 0) {
      // A deploy file that cannot be read may well give hosts: its own problems are reported instead.
      problems.push(emptyAllowlist(environment, winner('environment')?.given, config));
    }
  }

  // The probe paths, and the ones the app answers besides them.
  let probePaths = winner('probePaths')?.reading.settings.probePaths;
  if (probePaths === undefined) {
    probePaths = DEFAULT_PROBE_PATHS;
    if (winner('probePaths') === undefined) origins.probePaths.push(defaultOrigin('probePaths'));
  }
  for (const extra of sources.extraProbePaths ?? []) {
    const added: string[] = [];
    for (const path of extra.paths) {
      const message = checkProbePath(path);
      if (message !== undefined) problems.push({ setting: extra.setting(path), value: JSON.stringify(path), message });
      else if (!probePaths.includes(path) && !added.includes(path)) added.push(path);
    }
    if (added.length > 0) {
      probePaths = [...probePaths, ...added];
      origins.probePaths.push(extra.origin);
    }
  }

  const trustProxy = winner('trustProxy')?.reading.settings.trustProxy ?? false;
  if (!winner('trustProxy')) origins.trustProxy.push(defaultOrigin('trustProxy'));
  const rejectStatus = winner('rejectStatus')?.reading.settings.rejectStatus ?? 400;
  if (!winner('rejectStatus')) origins.rejectStatus.push(defaultOrigin('rejectStatus'));
  if (!winner('environment')) origins.environment.push(defaultOrigin('environment'));
  const port = winner('port')?.reading.settings.port;
  if (!winner('port')) origins.port.push(defaultOrigin('port', 'not set: the app decides'));

  if (config?.proxy.enabled && deployReading) {
    const found = contradictions(config, deployReading, {
      probePaths:
        fromDeploy('probePaths') || !valid('probePaths') ? undefined : { paths: probePaths, won: winner('probePaths') },
      port: fromDeploy('port') || !valid('port') ? undefined : { port, won: winner('port') },
      allowedHosts:
        fromDeploy('allowedHosts') || !valid('allowedHosts') || allowedHosts.length === 0
          ? undefined
          : { hosts: allowedHosts, won: winner('allowedHosts') },
    });
    for (const contradiction of found) {
      if (development) {
        warnings.push({ ...contradiction, message: `${contradiction.message} (only development starts with this)` });
      } else problems.push(contradiction);
    }
  }

  const usable = SETTING_KEYS.every(valid) && (deployFile?.problems.length ?? 0) === 0;
  const settings: UpgateSettings | undefined = usable
    ? Object.freeze({
        allowedHosts: Object.freeze([...allowedHosts]),
        probePaths: Object.freeze([...probePaths]),
        trustProxy: typeof trustProxy === 'object' ? Object.freeze([...trustProxy]) : trustProxy,
        rejectStatus,
        environment,
        ...(port === undefined ? {} : { port }),
      })
    : undefined;
  return {
    settings,
    origins: Object.freeze(origins),
    problems,
    warnings,
    deployFile,
  };
}

/** The winner of an override, as the warning names it: `the probePaths option ["/up"]`, `HEALTH_PROBE_PATHS "/up"`. */
function label(given: GivenSetting): string {
  return `${given.origin.name} ${given.shown}`;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function emptyAllowlist(
  environment: string,
  from: GivenSetting | undefined,
  config: KamalDeployConfig | undefined,
): ConfigProblem {
  const where = from?.name ?? `environment (default "${DEFAULT_ENVIRONMENT}")`;
  const deploy = config ? `proxy.host in ${config.file}` : 'proxy.host in a Kamal deploy file (the deployFile option)';
  return {
    setting: 'allowed hosts',
    value: '',
    message:
      `are empty, which only development allows (${where} is ${JSON.stringify(environment)}); ` +
      `give ALLOWED_HOSTS (e.g. ALLOWED_HOSTS=app.example.com), the allowedHosts option, or ${deploy}`,
  };
}

interface Overriding {
  readonly won: { readonly given: GivenSetting; readonly reading: SourceReading } | undefined;
}

/** Higher sources that leave out part of what kamal-proxy does (see `resolveSettings`). */
function contradictions(
  deploy: KamalDeployConfig,
  deployReading: SourceReading,
  higher: {
    probePaths: (Overriding & { paths: readonly string[] }) | undefined;
    port: (Overriding & { port: number | undefined }) | undefined;
    allowedHosts: (Overriding & { hosts: readonly string[] }) | undefined;
  },
): ConfigProblem[] {
  const found: ConfigProblem[] = [];
  const { proxy } = deploy;
  const isVariable = (given: GivenSetting): boolean => given.origin.source === 'environment';

  const paths = higher.probePaths;
  const probed = proxy.healthcheck.path;
  if (paths?.won && deployReading.settings.probePaths && !paths.paths.includes(probed)) {
    const given = paths.won.given;
    const written = deploy.locate('proxy.healthcheck.path');
    const source = written
      ? `${written.file}:${written.line}: proxy.healthcheck.path`
      : `Kamal's default: ${deploy.file} sets no proxy.healthcheck.path`;
    const list = paths.won.reading.settings.probePaths ?? [];
    const fix = isVariable(given) ? JSON.stringify([...list, probed].join(',')) : JSON.stringify([...list, probed]);
    found.push({
      setting: given.name,
      value: given.shown,
      message: `leaves out ${JSON.stringify(probed)}, the path kamal-proxy checks (${source}); its probes (Host: the container id) would be rejected and the deploy would never turn healthy; add it: ${fix}`,
      contradicts: 'proxy.healthcheck.path',
    });
  }

  const port = higher.port;
  if (port?.won && port.port !== undefined && port.port !== proxy.appPort) {
    const written = deploy.locate('proxy.app_port');
    const message = written
      ? `differs from proxy.app_port ${proxy.appPort} (${written.file}:${written.line}), the port kamal-proxy sends requests and probes to; make them equal`
      : `differs from ${proxy.appPort}, the port kamal-proxy sends requests and probes to (Kamal's default: ${deploy.file} sets no proxy.app_port); set proxy.app_port: ${port.port} there`;
    found.push({ setting: port.won.given.name, value: port.won.given.shown, message, contradicts: 'proxy.app_port' });
  }

  const hosts = higher.allowedHosts;
  const proxied = deployReading.settings.allowedHosts;
  if (hosts?.won && proxied) {
    const allowlist = compileHostAllowlist(hosts.hosts, hosts.won.given.name);
    const missing = proxied.filter((host) => !coversProxyHost(allowlist, host));
    if (missing.length > 0) {
      const key = proxyHostsKey(deploy);
      const at = deploy.locate(key);
      const list = missing.map((h) => JSON.stringify(h)).join(', ');
      found.push({
        setting: hosts.won.given.name,
        value: hosts.won.given.shown,
        message: `does not allow ${list}, which kamal-proxy routes to this app (${at ? `${at.file}:${at.line}: ` : ''}${key}), so every request for it would be rejected; add ${missing.length === 1 ? 'it' : 'them'}`,
        contradicts: 'proxy.hosts',
      });
    }
  }
  return found;
}
