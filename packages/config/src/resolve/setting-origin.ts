/**
 * Where a resolved setting came from, so that a start-up line, a warning or `upgate check` can say
 * which place to change.
 */
import type { KamalLocation } from '../load/kamal/kamal-deploy-config.js';

/** The kind of place a value was given in, highest precedence first. */
export type SettingSource = 'option' | 'environment' | 'deploy-file' | 'default';

export interface SettingOrigin {
  readonly source: SettingSource;
  /**
   * The option, variable or deploy-file key as written: `allowedHosts`, `ALLOWED_HOSTS`,
   * `proxy.hosts`; for a default, the setting (`probePaths`).
   */
  readonly key: string;
  /**
   * The place as a person looks for it: `the allowedHosts option`, `ALLOWED_HOSTS`,
   * `config/deploy.yml:17: proxy.hosts`, `upgate's default`.
   */
  readonly name: string;
  /** Where the deploy-file key is written; absent for other sources and for Kamal's defaults. */
  readonly location?: KamalLocation;
}

export function optionOrigin(key: string): SettingOrigin {
  return { source: 'option', key, name: `the ${key} option` };
}

export function environmentOrigin(variable: string): SettingOrigin {
  return { source: 'environment', key: variable, name: variable };
}

export function defaultOrigin(key: string, name = "upgate's default"): SettingOrigin {
  return { source: 'default', key, name };
}

/** How a list of origins reads: `upgate's development hosts plus config/deploy.yml:17: proxy.hosts`. */
export function describeOrigins(origins: readonly SettingOrigin[]): string {
  return origins.map((origin) => origin.name).join(' plus ');
}
