/**
 * What reading one source yields before anything is thrown, so that `loadSettings` can report the
 * problems of every source at once.
 */
import type { PartialUpgateSettings, UpgateSettings } from '../settings.js';
import { UpgateConfigError, type ConfigProblem } from '../upgate-config.error.js';

export type SettingKey = keyof UpgateSettings;

export interface SourceReading {
  /** The fields this source gives whose values passed the checks (normalised). */
  readonly settings: PartialUpgateSettings;
  /**
   * Every field this source gives, valid or not, with the name to blame in messages
   * (`ALLOWED_HOSTS`, `allowedHosts`, `config/deploy.yml:7: proxy.host`). A field given with a bad
   * value still takes precedence over lower sources: its value is never replaced by theirs.
   */
  readonly given: ReadonlyMap<SettingKey, string>;
  readonly problems: readonly ConfigProblem[];
}

/** Collects a source's fields and problems as they are read. */
export class SourceReadingBuilder {
  readonly settings: { -readonly [K in SettingKey]?: UpgateSettings[K] } = {};
  readonly given = new Map<SettingKey, string>();
  readonly problems: ConfigProblem[] = [];

  give<K extends SettingKey>(
    key: K,
    setting: string,
    value: UpgateSettings[K] | undefined,
    problems: readonly ConfigProblem[] = [],
  ): void {
    this.given.set(key, setting);
    if (value !== undefined) this.settings[key] = value;
    this.problems.push(...problems);
  }

  problem(problem: ConfigProblem): void {
    this.problems.push(problem);
  }

  build(): SourceReading {
    return { settings: this.settings, given: this.given, problems: this.problems };
  }
}

/** The public loaders' contract: the settings, or one error listing every problem of the source. */
export function settingsOrThrow(reading: SourceReading): PartialUpgateSettings {
  if (reading.problems.length > 0) throw new UpgateConfigError(reading.problems);
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
