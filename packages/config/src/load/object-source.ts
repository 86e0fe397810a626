/**
 * Settings given as a plain object (`HealthModule.forRoot({ allowedHosts: [...] })`). The types
 * say what to write, but the object may come from JSON or JavaScript, so every field is checked at
 * run time too.
 */
import { optionOrigin } from '../resolve/setting-origin.js';
import {
  REJECT_STATUSES,
  type PartialUpgateSettings,
  type RejectStatus,
  type SettingKey,
  SETTING_KEYS,
  type UpgateOptions,
} from '../settings.js';
import { checkAllowedHosts, checkProbePaths, checkTrustProxyList } from '../validate/check-entries.js';
import { didYouMean } from '../validate/did-you-mean.js';
import {
  describeValue,
  type GivenSetting,
  sameValue,
  settingsOrThrow,
  SourceReadingBuilder,
  type SourceReading,
} from './source-reading.js';

/** How every message states the reject statuses. */
export const REJECT_STATUS_FORMS = '400 (as Django), 403 (as Rails) or 421 (Misdirected Request)';

/** An options object's keys are the settings' names. */
const OPTION_KEYS: readonly (keyof UpgateOptions)[] = SETTING_KEYS;

/** The option as a given setting: named by its key, shown and compared by its value. */
function option(key: SettingKey, value: unknown): GivenSetting {
  return { name: key, origin: optionOrigin(key), shown: describeValue(value), same: sameValue(value) };
}

/**
 * Reads an options object. A field that is absent or `undefined` is not given, and neither is an
 * empty `allowedHosts` (so that `ALLOWED_HOSTS` or the deploy file still applies). Entries of the
 * lists are trimmed, as in the variables. Keys that look like a misspelt setting (`allowedHost`,
 * `probe_paths`) are reported; other keys are left alone, since the object may carry options of the
 * module that passes it on.
 */
export function readObjectSource(options: unknown): SourceReading {
  const out = new SourceReadingBuilder();
  if (options === undefined || options === null) return out.build();
  if (typeof options !== 'object' || Array.isArray(options)) {
    out.problem({
      setting: 'options',
      value: describeValue(options),
      message: "must be an object such as { allowedHosts: ['app.example.com'] }",
    });
    return out.build();
  }
  const record = options as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if ((OPTION_KEYS as readonly string[]).includes(key) || record[key] === undefined) continue;
    const suggestion = didYouMean(key, OPTION_KEYS) as keyof UpgateOptions | undefined;
    if (suggestion && record[suggestion] === undefined) {
      out.problem(
        { setting: key, value: '', message: `is not an upgate setting; did you mean ${suggestion}?` },
        suggestion,
      );
    }
  }

  const { allowedHosts, probePaths, trustProxy, rejectStatus, environment, port } = record;
  if (allowedHosts !== undefined && !(Array.isArray(allowedHosts) && allowedHosts.length === 0)) {
    const list = stringList(
      out,
      'allowedHosts',
      allowedHosts,
      "['app.example.com', '.example.org']",
      'a host such as "app.example.com"',
    );
    if (list) {
      const checked = checkAllowedHosts(list, (i) => `allowedHosts[${i}]`);
      out.give('allowedHosts', option('allowedHosts', allowedHosts), checked.values, checked.problems);
    }
  }
  if (probePaths !== undefined) {
    const list = stringList(out, 'probePaths', probePaths, "['/up']", 'a path such as "/up"');
    if (list) {
      const checked = checkProbePaths(list, (i) => `probePaths[${i}]`);
      out.give('probePaths', option('probePaths', probePaths), checked.values, checked.problems);
    }
  }
  if (trustProxy !== undefined) {
    if (typeof trustProxy === 'boolean') {
      out.give('trustProxy', option('trustProxy', trustProxy), trustProxy);
    } else {
      const list = stringList(
        out,
        'trustProxy',
        trustProxy,
        "true, false or ['loopback', '10.0.0.0/8']",
        'an address, a network, "loopback" or "private"',
        true,
      );
      if (list) {
        const checked = checkTrustProxyList(list, (i) => `trustProxy[${i}]`);
        out.give('trustProxy', option('trustProxy', trustProxy), checked.values, checked.problems);
      }
    }
  }
  if (rejectStatus !== undefined) {
    if ((REJECT_STATUSES as readonly unknown[]).includes(rejectStatus)) {
      out.give('rejectStatus', option('rejectStatus', rejectStatus), rejectStatus as RejectStatus);
    } else {
      out.give('rejectStatus', option('rejectStatus', rejectStatus), undefined, [
        { setting: 'rejectStatus', value: describeValue(rejectStatus), message: `must be ${REJECT_STATUS_FORMS}` },
      ]);
    }
  }
  if (environment !== undefined) {
    if (typeof environment === 'string' && environment.trim() !== '' && environment.trim() === environment) {
      out.give('environment', option('environment', environment), environment);
    } else {
      out.give('environment', option('environment', environment), undefined, [
        {
          setting: 'environment',
          value: describeValue(environment),
          message: 'must be the name of an environment, such as "production" or "development"',
        },
      ]);
    }
  }
  if (port !== undefined) {
    if (typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) {
      out.give('port', option('port', port), port);
    } else {
      out.give('port', option('port', port), undefined, [
        { setting: 'port', value: describeValue(port), message: 'must be an integer port from 1 to 65535, e.g. 3000' },
      ]);
    }
  }
  return out.build();
}

/** The list if it is an array of strings; otherwise records why not and returns undefined. */
function stringList(
  out: SourceReadingBuilder,
  key: 'allowedHosts' | 'probePaths' | 'trustProxy',
  value: unknown,
  example: string,
  itemForm: string,
  orBoolean = false,
): string[] | undefined {
  if (!Array.isArray(value)) {
    out.give(key, option(key, value), undefined, [
      { setting: key, value: describeValue(value), message: `must be ${orBoolean ? '' : 'a list, e.g. '}${example}` },
    ]);
    return undefined;
  }
  const problems = value.flatMap((item, i) =>
    typeof item === 'string'
      ? []
      : [{ setting: `${key}[${i}]`, value: describeValue(item), message: `must be a string: ${itemForm}` }],
  );
  for (const problem of problems) out.problem(problem, key);
  return value.filter((item): item is string => typeof item === 'string').map((item) => item.trim());
}

/**
 * Checks and normalises settings given as an object.
 * @returns the fields given (allowlist entries normalised, duplicates removed).
 * @throws UpgateConfigError listing every bad field or entry (`allowedHosts[1]: "https://a.example" is a URL; ...`).
 */
export function settingsFromObject(options: UpgateOptions | undefined): PartialUpgateSettings {
  return settingsOrThrow(readObjectSource(options));
}
