/**
 * Check mode: how `upgate check --app "<start command>"` learns what the app will really do. It
 * starts the app with `UPGATE_CHECK` set; HealthModule resolves its settings as always, writes this
 * report (to the file the variable names, or stdout for `-`) when the app calls `listen()`, and the
 * process exits 0 without listening. With settings that stop the app, it writes the report at once
 * and exits 1.
 */
import type { SettingOrigin } from '../resolve/setting-origin.js';
import type { SettingKey, UpgateSettings } from '../settings.js';
import type { ConfigProblem } from '../upgate-config.error.js';

/** The variable that puts an app in check mode: a file to write the report to, or `-` for stdout. */
export const UPGATE_CHECK_VARIABLE = 'UPGATE_CHECK';

/** The report's format; a reader refuses another. */
export const APP_SETTINGS_REPORT_FORMAT = 'upgate-app-settings/1';

export interface AppSettingsReport {
  readonly format: typeof APP_SETTINGS_REPORT_FORMAT;
  /** The settings the app runs with; absent when a value is invalid. */
  readonly settings?: UpgateSettings;
  readonly origins: Readonly<Record<SettingKey, readonly SettingOrigin[]>>;
  /** What stops the app (then it does not listen). */
  readonly problems: readonly ConfigProblem[];
  /** What it logs at start-up besides. */
  readonly warnings: readonly ConfigProblem[];
  /** The deploy file the app reads; absent when it reads none. */
  readonly deployFile?: {
    /** As messages show it. */
    readonly file: string;
    /** Its absolute path. */
    readonly path: string;
    readonly destination?: string;
  };
  /** The deadline of one run of a probe's checks, in milliseconds, and where it comes from. */
  readonly probeTimeoutMs?: { readonly value: number; readonly origin: SettingOrigin };
  /** For each probe path, the number of health indicators it runs (0: answered as long as the app runs). */
  readonly probeChecks?: Readonly<Record<string, number>>;
  /**
   * What the app passed to `listen()`: the port it would really listen on. Absent when the report
   * was written before (settings that stop the app, or no HTTP server).
   */
  readonly listen?: { readonly port?: number; readonly host?: string; readonly path?: string };
}
