import {
  type ConfigProblem,
  didYouMean,
  loadSettings,
  UpgateConfigError,
  type UpgateOptions,
  type UpgateSettings,
} from '@upgate/config';
import type { HealthModuleOptions } from './health-module-options.interface.js';
import { probeOptionProblems } from './probe/resolve-probe-options.js';

/** Node clamps longer timers to 1 ms with a warning. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The module's settings: the host settings resolved by `@upgate/config`'s `loadSettings` (explicit
 * options > environment > defaults), checked together with the probe and log options, so that one
 * failed start-up lists every problem at once. Throws `UpgateConfigError`.
 */
export function resolveHealthSettings(options: HealthModuleOptions | undefined | null): UpgateSettings {
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new UpgateConfigError([
      {
        setting: 'HealthModule options',
        value: String(options),
        message: "is not an options object; return e.g. { allowedHosts: ['app.example.com'] } from the factory",
      },
    ]);
  }
  const problems: ConfigProblem[] = [];
  let settings: UpgateSettings | undefined;
  try {
    settings = loadSettings({ options: upgateOptions(options) });
  } catch (error) {
    if (!(error instanceof UpgateConfigError)) throw error;
    problems.push(...error.problems);
  }
  problems.push(...unknownOptionProblems(options));
  problems.push(...probeOptionProblems(options, settings?.probePaths));
  problems.push(...layerOptionProblems(options));
  if (problems.length > 0 || settings === undefined) throw new UpgateConfigError(problems);
  return settings;
}

/** Every key `HealthModuleOptions` has; the type is checked to list them all. */
const HEALTH_OPTION_KEYS = [
  'allowedHosts',
  'probePaths',
  'trustProxy',
  'rejectStatus',
  'environment',
  'port',
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

/** Only the fields `loadSettings` knows: it names unknown ones as problems. */
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

function layerOptionProblems(options: HealthModuleOptions): ConfigProblem[] {
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
