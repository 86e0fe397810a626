/**
 * Settings from environment variables, the twelve-factor way: `ALLOWED_HOSTS`,
 * `HEALTH_PROBE_PATHS`, `TRUST_PROXY`, `HOST_REJECT_STATUS`, `NODE_ENV`, `PORT`.
 */
import { environmentOrigin } from '../resolve/setting-origin.js';
import { REJECT_STATUSES, type PartialUpgateSettings, type RejectStatus, type SettingKey } from '../settings.js';
import { checkAllowedHosts, checkProbePaths, checkTrustProxyList } from '../validate/check-entries.js';
import { didYouMean } from '../validate/did-you-mean.js';
import { REJECT_STATUS_FORMS } from './object-source.js';
import {
  type GivenSetting,
  sameValue,
  settingsOrThrow,
  SourceReadingBuilder,
  type SourceReading,
} from './source-reading.js';

/** An environment: `process.env` or any record of strings. */
export type Environment = NodeJS.ProcessEnv | Readonly<Record<string, string | undefined>>;

/** The variables upgate reads, by setting. */
export const ENV_VARIABLES = Object.freeze({
  allowedHosts: 'ALLOWED_HOSTS',
  probePaths: 'HEALTH_PROBE_PATHS',
  trustProxy: 'TRUST_PROXY',
  rejectStatus: 'HOST_REJECT_STATUS',
  environment: 'NODE_ENV',
  port: 'PORT',
} as const);

// Only upgate's own names are matched against misspellings: NODE_ENV and PORT are short and
// shared with everything else in the environment, so near misses of them mean nothing.
const OWN_VARIABLES = ['ALLOWED_HOSTS', 'HEALTH_PROBE_PATHS', 'TRUST_PROXY', 'HOST_REJECT_STATUS'] as const;

/** The setting each of upgate's own variables gives. */
const VARIABLE_SETTING: Readonly<Record<(typeof OWN_VARIABLES)[number], SettingKey>> = {
  ALLOWED_HOSTS: 'allowedHosts',
  HEALTH_PROBE_PATHS: 'probePaths',
  TRUST_PROXY: 'trustProxy',
  HOST_REJECT_STATUS: 'rejectStatus',
};

/** A variable as a given setting; `same` is the value as the matching option would hold it. */
function variable(name: string, raw: string, same: unknown): GivenSetting {
  return { name, origin: environmentOrigin(name), shown: JSON.stringify(raw), same: sameValue(same) };
}

/** `raw` as a number when it is one (`"403"` compares equal to the option `403`). */
function numberOr(raw: string): number | string {
  return /^\s*\d+\s*$/.test(raw) ? Number(raw.trim()) : raw.trim();
}

/** Other names people write for upgate's variables (too far from them for the edit distance). */
const ALIASES: Readonly<Record<string, (typeof OWN_VARIABLES)[number]>> = {
  TRUSTED_PROXIES: 'TRUST_PROXY',
  TRUST_PROXIES: 'TRUST_PROXY',
  TRUSTED_PROXY: 'TRUST_PROXY',
  HOST_REJECTION_STATUS: 'HOST_REJECT_STATUS',
  HEALTHCHECK_PATHS: 'HEALTH_PROBE_PATHS',
  HEALTHCHECK_PATH: 'HEALTH_PROBE_PATHS',
};

const LIST_EXAMPLES = {
  ALLOWED_HOSTS: 'ALLOWED_HOSTS=app.example.com,.example.org',
  HEALTH_PROBE_PATHS: 'HEALTH_PROBE_PATHS=/up,/ready',
  TRUST_PROXY: 'TRUST_PROXY=loopback,10.0.0.0/8',
} as const;

const TRUST_PROXY_FORMS =
  'write true, false, or a comma-separated list of addresses, networks, "loopback" and "private", e.g. TRUST_PROXY=loopback,10.0.0.0/8';

/**
 * Splits a comma-separated variable. Spaces around entries are trimmed; an empty variable or an
 * empty entry (`a,,b`, a trailing comma) is a problem, since it is usually a template that
 * rendered nothing.
 */
function splitList(out: SourceReadingBuilder, name: keyof typeof LIST_EXAMPLES, raw: string): string[] | undefined {
  const key = VARIABLE_SETTING[name];
  if (raw.trim() === '') {
    out.problem(
      {
        setting: name,
        value: JSON.stringify(raw),
        message: `is empty; give a comma-separated list, e.g. ${LIST_EXAMPLES[name]}, or unset it`,
      },
      key,
    );
    return undefined;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.includes('')) {
    out.problem(
      {
        setting: name,
        value: JSON.stringify(raw),
        message: `has an empty entry; remove the extra comma: ${JSON.stringify(entries.filter((e) => e !== '').join(','))}`,
      },
      key,
    );
  }
  return entries.filter((entry) => entry !== '');
}

/** The entries of a list variable as the matching option would hold them. */
const entriesOf = (raw: string): string[] => raw.split(',').map((entry) => entry.trim());

/** Reads the environment without throwing (see `settingsFromEnv`). */
export function readEnvSource(env: Environment): SourceReading {
  const out = new SourceReadingBuilder();

  for (const name of Object.keys(env)) {
    if ((OWN_VARIABLES as readonly string[]).includes(name) || env[name] === undefined) continue;
    const meant = ALIASES[name.toUpperCase()] ?? didYouMean(name, OWN_VARIABLES);
    if (meant !== undefined && env[meant] === undefined) {
      out.problem(
        { setting: name, value: JSON.stringify(env[name]), message: `is not read by upgate; did you mean ${meant}?` },
        VARIABLE_SETTING[meant],
      );
    }
  }

  const hosts = env.ALLOWED_HOSTS;
  if (hosts !== undefined) {
    const list = splitList(out, 'ALLOWED_HOSTS', hosts);
    const checked = list && checkAllowedHosts(list, () => 'ALLOWED_HOSTS');
    out.give('allowedHosts', variable('ALLOWED_HOSTS', hosts, entriesOf(hosts)), checked?.values, checked?.problems);
  }

  const paths = env.HEALTH_PROBE_PATHS;
  if (paths !== undefined) {
    const list = splitList(out, 'HEALTH_PROBE_PATHS', paths);
    const checked = list && checkProbePaths(list, () => 'HEALTH_PROBE_PATHS');
    out.give('probePaths', variable('HEALTH_PROBE_PATHS', paths, entriesOf(paths)), checked?.values, checked?.problems);
  }

  const trust = env.TRUST_PROXY;
  if (trust !== undefined) {
    const word = trust.trim().toLowerCase();
    const given = variable(
      'TRUST_PROXY',
      trust,
      word === 'true' || word === 'false' ? word === 'true' : entriesOf(trust),
    );
    if (word === 'true' || word === 'false') {
      out.give('trustProxy', given, word === 'true');
    } else if (['yes', 'no', 'on', 'off', '1', '0', 'y', 'n', 'enabled', 'disabled'].includes(word)) {
      out.give('trustProxy', given, undefined, [
        { setting: 'TRUST_PROXY', value: JSON.stringify(trust), message: `is not true or false; ${TRUST_PROXY_FORMS}` },
      ]);
    } else {
      const list = splitList(out, 'TRUST_PROXY', trust);
      const checked = list && checkTrustProxyList(list, () => 'TRUST_PROXY');
      out.give('trustProxy', given, checked?.values, checked?.problems);
    }
  }

  const status = env.HOST_REJECT_STATUS;
  if (status !== undefined) {
    const value = Number(status.trim());
    const given = variable('HOST_REJECT_STATUS', status, numberOr(status));
    if (/^\s*\d+\s*$/.test(status) && (REJECT_STATUSES as readonly number[]).includes(value)) {
      out.give('rejectStatus', given, value as RejectStatus);
    } else {
      out.give('rejectStatus', given, undefined, [
        {
          setting: 'HOST_REJECT_STATUS',
          value: JSON.stringify(status),
          message: `is not a status upgate sends for a disallowed host; write ${REJECT_STATUS_FORMS}`,
        },
      ]);
    }
  }

  const environment = env.NODE_ENV;
  if (environment !== undefined) {
    const given = variable('NODE_ENV', environment, environment.trim());
    if (environment.trim() === '') {
      out.give('environment', given, undefined, [
        {
          setting: 'NODE_ENV',
          value: JSON.stringify(environment),
          message: 'is empty; set it to the environment, e.g. NODE_ENV=production, or unset it',
        },
      ]);
    } else {
      out.give('environment', given, environment.trim());
    }
  }

  const port = env.PORT;
  if (port !== undefined) {
    const value = Number(port.trim());
    const given = variable('PORT', port, numberOr(port));
    if (/^\s*\d+\s*$/.test(port) && value >= 1 && value <= 65535) {
      out.give('port', given, value);
    } else {
      out.give('port', given, undefined, [
        { setting: 'PORT', value: JSON.stringify(port), message: 'must be an integer port from 1 to 65535, e.g. 3000' },
      ]);
    }
  }
  return out.build();
}

/**
 * Reads upgate's settings from environment variables:
 * - `ALLOWED_HOSTS`: comma-separated allowlist entries (`app.example.com,.example.org`);
 * - `HEALTH_PROBE_PATHS`: comma-separated probe paths (`/up,/ready`);
 * - `TRUST_PROXY`: `true`, `false`, or comma-separated addresses, networks, `loopback`, `private`;
 * - `HOST_REJECT_STATUS`: `400`, `403` or `421`;
 * - `NODE_ENV`: the environment; `PORT`: the port.
 * Unset variables are not given. Set-but-bad values are errors, never ignored: an empty variable,
 * an empty list entry, `TRUST_PROXY=yes`, `HOST_REJECT_STATUS=404`, and a misspelt name
 * (`ALLOWED_HOST`, `HEALTH_PROBE_PATH`) set while the right one is not ("did you mean").
 * @throws UpgateConfigError listing every problem.
 */
export function settingsFromEnv(env: Environment = process.env): PartialUpgateSettings {
  return settingsOrThrow(readEnvSource(env));
}
