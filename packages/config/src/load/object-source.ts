/**
 * Settings given as a plain object (`HealthModule.forRoot({ allowedHosts: [...] })`). The types
 * say what to write, but the object may come from JSON or JavaScript, so every field is checked at
 * run time too.
 */
import { REJECT_STATUSES, type PartialUpgateSettings, type RejectStatus, type UpgateOptions } from '../settings.js';
import { checkAllowedHosts, checkProbePaths, checkTrustProxyList } from '../validate/check-entries.js';
import { didYouMean } from '../validate/did-you-mean.js';
import { describeValue, settingsOrThrow, SourceReadingBuilder, type SourceReading } from './source-reading.js';

/** How every message states the reject statuses. */
export const REJECT_STATUS_FORMS = '400 (as Django), 403 (as Rails) or 421 (Misdirected Request)';

const OPTION_KEYS: readonly (keyof UpgateOptions)[] = [
  'allowedHosts',
  'probePaths',
  'trustProxy',
  'rejectStatus',
  'environment',
  'port',
];

/**
 * Reads an options object. A field that is absent or `undefined` is not given. Keys that look like
 * a misspelt setting (`allowedHost`, `probe_paths`) are reported; other keys are left alone, since
 * the object may carry options of the module that passes it on.
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
    const suggestion = didYouMean(key, OPTION_KEYS);
    if (suggestion && record[suggestion] === undefined) {
      out.problem({ setting: key, value: '', message: `is not an upgate setting; did you mean ${suggestion}?` });
    }
  }

  const { allowedHosts, probePaths, trustProxy, rejectStatus, environment, port } = record;
  if (allowedHosts !== undefined) {
    const list = stringList(
      out,
      'allowedHosts',
      allowedHosts,
      "['app.example.com', '.example.org']",
      'a host such as "app.example.com"',
    );
    if (list) {
      const checked = checkAllowedHosts(list, (i) => `allowedHosts[${i}]`);
      out.give('allowedHosts', 'allowedHosts', checked.values, checked.problems);
    }
  }
  if (probePaths !== undefined) {
    const list = stringList(out, 'probePaths', probePaths, "['/up']", 'a path such as "/up"');
    if (list) {
      const checked = checkProbePaths(list, (i) => `probePaths[${i}]`);
      out.give('probePaths', 'probePaths', checked.values, checked.problems);
    }
  }
  if (trustProxy !== undefined) {
    if (typeof trustProxy === 'boolean') {
      out.give('trustProxy', 'trustProxy', trustProxy);
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
        out.give('trustProxy', 'trustProxy', checked.values, checked.problems);
      }
    }
  }
  if (rejectStatus !== undefined) {
    if ((REJECT_STATUSES as readonly unknown[]).includes(rejectStatus)) {
      out.give('rejectStatus', 'rejectStatus', rejectStatus as RejectStatus);
    } else {
      out.give('rejectStatus', 'rejectStatus', undefined, [
        { setting: 'rejectStatus', value: describeValue(rejectStatus), message: `must be ${REJECT_STATUS_FORMS}` },
      ]);
    }
  }
  if (environment !== undefined) {
    if (typeof environment === 'string' && environment.trim() !== '' && environment.trim() === environment) {
      out.give('environment', 'environment', environment);
    } else {
      out.give('environment', 'environment', undefined, [
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
      out.give('port', 'port', port);
    } else {
      out.give('port', 'port', undefined, [
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
    out.give(key, key, undefined, [
      { setting: key, value: describeValue(value), message: `must be ${orBoolean ? '' : 'a list, e.g. '}${example}` },
    ]);
    return undefined;
  }
  const problems = value.flatMap((item, i) =>
    typeof item === 'string'
      ? []
      : [{ setting: `${key}[${i}]`, value: describeValue(item), message: `must be a string: ${itemForm}` }],
  );
  if (problems.length > 0) {
    const strings = value.filter((item): item is string => typeof item === 'string');
    out.problems.push(...problems);
    return strings;
  }
  return value as string[];
}

/**
 * Checks and normalises settings given as an object.
 * @returns the fields given (allowlist entries normalised, duplicates removed).
 * @throws UpgateConfigError listing every bad field or entry (`allowedHosts[1]: "https://a.example" is a URL; ...`).
 */
export function settingsFromObject(options: UpgateOptions | undefined): PartialUpgateSettings {
  return settingsOrThrow(readObjectSource(options));
}
