/**
 * What reading one source yields before anything is thrown, so that `resolveSettings` can weigh the
 * sources against each other and report the problems of all of them at once.
 */
import type { PartialUpgateSettings, SettingKey, UpgateSettings } from '../settings.js';
import type { SettingOrigin } from '../resolve/setting-origin.js';
import { UpgateConfigError, type ConfigProblem } from '../upgate-config.error.js';

export type { SettingKey } from '../settings.js';

/**
 * A problem found while reading a source, with the setting it is about when there is one (a bad
 * value, or a misspelt name that stands for the setting). A problem about a setting that a higher
 * source gives is only a warning: that value is not used.
 */
export interface ReadProblem {
  readonly key?: SettingKey;
  readonly problem: ConfigProblem;
}

/** A setting a source gives, valid or not. */
export interface GivenSetting {
  /** The name to blame in messages: `ALLOWED_HOSTS`, `allowedHosts`, `config/deploy.yml:7: proxy.host`. */
  readonly name: string;
  readonly origin: SettingOrigin;
  /** The value as a message quotes it: `"a,b"` for a variable, `["a","b"]` for an option. */
  readonly shown: string;
  /**
   * The value reduced so that two sources giving the same thing compare equal (trimmed entries,
   * numbers as numbers): `["a","b"]` for both `ALLOWED_HOSTS=a, b` and `['a', 'b']`.
   */
  readonly same: string;
}

export interface SourceReading {
  /** The fields this source gives whose values passed the checks (normalised). */
  readonly settings: PartialUpgateSettings;
  /**
   * Every field this source gives, valid or not. A field given with a bad value still takes
   * precedence over lower sources: its value is never replaced by theirs.
   */
  readonly given: ReadonlyMap<SettingKey, GivenSetting>;
  readonly problems: readonly ReadProblem[];
}

/** Collects a source's fields and problems as they are read. */
export class SourceReadingBuilder {
  readonly settings: { -readonly [K in SettingKey]?: UpgateSettings[K] } = {};
  readonly given = new Map<SettingKey, GivenSetting>();
  readonly problems: ReadProblem[] = [];

  give<K extends SettingKey>(
    key: K,
    given: GivenSetting,
    value: UpgateSettings[K] | undefined,
    problems: readonly ConfigProblem[] = [],
  ): void {
    this.given.set(key, given);
    if (value !== undefined) this.settings[key] = value;
    for (const problem of problems) this.problems.push({ key, problem });
  }

  problem(problem: ConfigProblem, key?: SettingKey): void {
    this.problems.push(key === undefined ? { problem } : { key, problem });
  }

  build(): SourceReading {
    return { settings: this.settings, given: this.given, problems: this.problems };
  }
}

/** The public one-source loaders' contract: the settings, or one error listing every problem of the source. */
export function settingsOrThrow(reading: SourceReading): PartialUpgateSettings {
  if (reading.problems.length > 0) throw new UpgateConfigError(reading.problems.map((p) => p.problem));
  return reading.settings;
}

/** How a JavaScript value reads in a message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const text = JSON.stringify(value);
    return text === undefined || text.length > 80 ? `a list of ${value.length}` : text;
  }
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/** `same` of a value: lists of strings trimmed, everything else as JSON (or its type, when it has none). */
export function sameValue(value: unknown): string {
  if (Array.isArray(value)) return JSON.stringify(value.map((item) => (typeof item === 'string' ? item.trim() : item)));
  return JSON.stringify(value) ?? typeof value;
}
