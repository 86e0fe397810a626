/**
 * Runs the entry-level checks (allowlist entries, probe paths, trusted proxies) over a list from
 * any source, naming each bad entry by the setting it came from.
 */
import { parseAllowlistEntry } from '../host/allowlist-entry.js';
import { checkProbePath } from '../host/probe-path.js';
import { checkTrustProxyEntry } from '../proxy/trust-proxy.js';
import type { ConfigProblem } from '../upgate-config.error.js';

/** The good values (normalised, without duplicates) and a problem for each bad one. */
export interface CheckedList {
  readonly values: string[];
  readonly problems: ConfigProblem[];
}

/** Names the setting an entry came from: `ALLOWED_HOSTS`, `allowedHosts[2]`, `config/deploy.yml:7: proxy.hosts[1]`. */
export type SettingName = (index: number) => string;

export function checkAllowedHosts(raw: readonly string[], setting: SettingName): CheckedList {
  const values: string[] = [];
  const problems: ConfigProblem[] = [];
  raw.forEach((entry, index) => {
    const read = parseAllowlistEntry(entry);
    if ('entry' in read) {
      if (!values.includes(read.entry)) values.push(read.entry);
    } else {
      problems.push({ setting: setting(index), value: read.problem.value, message: read.problem.message });
    }
  });
  return { values, problems };
}

export function checkProbePaths(raw: readonly string[], setting: SettingName): CheckedList {
  return checkEach(raw, setting, checkProbePath);
}

export function checkTrustProxyList(raw: readonly string[], setting: SettingName): CheckedList {
  return checkEach(raw, setting, checkTrustProxyEntry);
}

/** Checks each entry with `check`; the entries that pass, once each, and a problem per entry that does not. */
export function checkEach(
  raw: readonly string[],
  setting: SettingName,
  check: (entry: string) => string | undefined,
): CheckedList {
  const values: string[] = [];
  const problems: ConfigProblem[] = [];
  raw.forEach((entry, index) => {
    const message = check(entry);
    if (message === undefined) {
      if (!values.includes(entry)) values.push(entry);
    } else {
      problems.push({ setting: setting(index), value: JSON.stringify(entry), message });
    }
  });
  return { values, problems };
}
