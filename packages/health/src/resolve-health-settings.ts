import {
  type ConfigProblem,
  type DeployFileReading,
  type ExtraProbePaths,
  resolveSettings,
  type SettingsResolution,
  type UpgateOptions,
} from '@upgate/config';
import { didYouMean, isDeployFileReading } from '@upgate/config/internal';
import type { HealthModuleOptions } from './health-module-options.interface.js';
import { probeOptionProblems } from './probe/resolve-probe-options.js';

/** Node clamps longer timers to 1 ms with a warning. */
const MAX_TIMER_MS = 2_147_483_647;

/** What the module resolved: `@upgate/config`'s resolution, with the module's own problems added. */
export type HealthSettingsResolution = SettingsResolution;

/**
 * The module's settings: the host settings resolved by `@upgate/config`'s `resolveSettings`
 * (options > environment > the deploy file > defaults, with the module's `probes` keys added to the
 * probe paths), checked together with the probe and log options, so that one failed start-up lists
 * every problem at once. The deploy file, when `deployFile` names one, is read here: the Kamal
 * reader (and its YAML parser) is imported only then.
 */
export async function resolveHealthSettings(
  options: HealthModuleOptions | undefined | null,
): Promise<HealthSettingsResolution> {
  if (options === undefined || options === null || typeof options !== 'object') {
    return refused({
      setting: 'HealthModule options',
      value: String(options),
      message: "is not an options object; return e.g. { allowedHosts: ['app.example.com'] } from the factory",
    });
  }
  const problems: ConfigProblem[] = [];
  const deployFile = await readDeployFileOption(options, problems);
  const resolution = resolveSettings({
    options: upgateOptions(options),
    env: process.env,
    ...(deployFile ? { deployFile } : {}),
    extraProbePaths: probePathOptions(options),
  });
  problems.unshift(...resolution.problems);
  problems.push(...unknownOptionProblems(options));
  // The probes' keys, readiness and startup paths are probe paths already (added above): only their
  // values are left to check.
  problems.push(...probeOptionProblems(options));
  problems.push(...logOptionProblems(options));
  return { ...resolution, problems };
}

/**
 * The paths the probe options name, which are probe paths by nature: the keys of `probes`, the
 * readiness paths and the startup path. The resolver adds them to the probe paths, so that the
 * server answers them whatever the Host without the app listing them twice. Values of the wrong
 * type are left to `probeOptionProblems`.
 */
function probePathOptions(options: HealthModuleOptions): ExtraProbePaths[] {
  const { probes, readinessPaths, startupPath } = options as Record<string, unknown>;
  const strings = (values: unknown): string[] =>
    Array.isArray(values) ? values.filter((value): value is string => typeof value === 'string') : [];
  const option = (key: string): ExtraProbePaths['origin'] => ({ source: 'option', key, name: `the ${key} option` });
  return [
    {
      paths: probes !== null && typeof probes === 'object' && !Array.isArray(probes) ? Object.keys(probes) : [],
      origin: option('probes'),
      setting: (path) => `probes['${path}']`,
    },
    {
      paths: strings(readinessPaths),
      origin: option('readinessPaths'),
      setting: (path) => `readinessPaths[${strings(readinessPaths).indexOf(path)}]`,
    },
    { paths: strings([startupPath]), origin: option('startupPath'), setting: () => 'startupPath' },
  ];
}

function refused(problem: ConfigProblem): HealthSettingsResolution {
  const none = { allowedHosts: [], probePaths: [], trustProxy: [], rejectStatus: [], environment: [], port: [] };
  return { settings: undefined, origins: none, problems: [problem], warnings: [], deployFile: undefined };
}

/**
 * The deploy file the options name: read from its file name (relative to the working directory),
 * or as already read by `readDeployFile` (so that the app can use it too without a second read).
 */
async function readDeployFileOption(
  options: HealthModuleOptions,
  problems: ConfigProblem[],
): Promise<DeployFileReading | undefined> {
  const file: unknown = options.deployFile;
  const destination: unknown = options.destination;
  if (destination !== undefined && (typeof destination !== 'string' || destination === '')) {
    problems.push({
      setting: 'destination',
      value: JSON.stringify(destination) ?? String(destination),
      message: 'must be the name of a Kamal destination, such as "staging"',
    });
    return undefined;
  }
  if (file === undefined || file === false) {
    if (destination !== undefined) {
      problems.push({
        setting: 'destination',
        value: JSON.stringify(destination),
        message:
          "is given without deployFile, so there is nothing to merge it into; give deployFile: 'config/deploy.yml' as well",
      });
    }
    return undefined;
  }
  if (typeof file === 'string' && file !== '') {
    // Loaded here, not with the module: an app that reads no deploy file loads no YAML parser.
    const { readDeployFile } = await import('@upgate/config/kamal');
    return readDeployFile(file, destination === undefined ? {} : { destination: destination as string });
  }
  if (isDeployFileReading(file)) {
    if (destination !== undefined && destination !== file.destination) {
      problems.push({
        setting: 'destination',
        value: JSON.stringify(destination),
        message: `differs from the destination deployFile was read with (${JSON.stringify(file.destination ?? null)}); give it to readDeployFile(file, { destination }) alone`,
      });
    }
    return file;
  }
  problems.push({
    setting: 'deployFile',
    value: typeof file === 'string' ? '""' : typeof file === 'object' ? 'an object' : String(file),
    message:
      "must be the path of Kamal's deploy file, e.g. 'config/deploy.yml', or the file read with readDeployFile() of '@upgate/config/kamal'",
  });
  return undefined;
}

/** Every key `HealthModuleOptions` has; the type is checked to list them all. */
const HEALTH_OPTION_KEYS = [
  'allowedHosts',
  'probePaths',
  'trustProxy',
  'rejectStatus',
  'environment',
  'port',
  'deployFile',
  'destination',
  'probes',
  'readinessPaths',
  'startupPath',
  'probeTimeoutMs',
  'probeCacheMs',
  'probeDetails',
  'shutdownDelayMs',
  'rejectLogWindowMs',
  'logger',
] as const satisfies readonly (keyof HealthModuleOptions)[];
type MissingKeys = Exclude<keyof HealthModuleOptions, (typeof HEALTH_OPTION_KEYS)[number]>;
const allKeysListed: MissingKeys extends never ? true : MissingKeys = true;
void allKeysListed;

/**
 * The module owns the whole options object, so a key it does not know is a mistake (a typo such as
 * `allowedHost` would otherwise leave the allowlist at its default without a word).
 */
function unknownOptionProblems(options: HealthModuleOptions): ConfigProblem[] {
  const known: readonly string[] = HEALTH_OPTION_KEYS;
  return Object.keys(options)
    .filter((key) => !known.includes(key))
    .map((key) => {
      const suggestion = didYouMean(key, known);
      return {
        setting: key,
        value: '',
        message: suggestion
          ? `is not a HealthModule option; did you mean ${suggestion}?`
          : `is not a HealthModule option; the options are ${known.join(', ')}`,
      };
    });
}

/** Only the fields `resolveSettings` knows: it names unknown ones as problems. */
function upgateOptions(options: HealthModuleOptions): UpgateOptions {
  const picked: { -readonly [K in keyof UpgateOptions]: UpgateOptions[K] } = {};
  if (options.allowedHosts !== undefined) picked.allowedHosts = options.allowedHosts;
  if (options.probePaths !== undefined) picked.probePaths = options.probePaths;
  if (options.trustProxy !== undefined) picked.trustProxy = options.trustProxy;
  if (options.rejectStatus !== undefined) picked.rejectStatus = options.rejectStatus;
  if (options.environment !== undefined) picked.environment = options.environment;
  if (options.port !== undefined) picked.port = options.port;
  return picked;
}

function logOptionProblems(options: HealthModuleOptions): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const window: unknown = options.rejectLogWindowMs;
  if (
    window !== undefined &&
    !(typeof window === 'number' && Number.isInteger(window) && window >= 1 && window <= MAX_TIMER_MS)
  ) {
    problems.push({
      setting: 'rejectLogWindowMs',
      value: typeof window === 'string' ? JSON.stringify(window) : String(window),
      message: `is not a duration; write a whole number of milliseconds from 1 to ${MAX_TIMER_MS} (e.g. 60000)`,
    });
  }
  const logger: unknown = options.logger;
  if (logger !== undefined && (logger === null || typeof (logger as { warn?: unknown }).warn !== 'function')) {
    problems.push({
      setting: 'logger',
      value: logger === null ? 'null' : typeof logger === 'object' ? 'an object' : `a ${typeof logger}`,
      message: "is not a NestJS LoggerService (it needs log, warn and error methods); pass e.g. new Logger('upgate')",
    });
  }
  return problems;
}
