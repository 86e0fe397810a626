/**
 * `loadSettings`: the settings for an app or a library without NestJS, resolved by
 * `resolveSettings`, thrown on when they would stop the app, and with their warnings delivered.
 */
import { resolveSettings, type SettingsSources } from '../resolve/resolve-settings.js';
import type { UpgateSettings } from '../settings.js';
import { formatConfigProblem, UpgateConfigError, type ConfigProblem } from '../upgate-config.error.js';

/** Where `loadSettings` takes the settings from, and where its warnings go. */
export interface UpgateSources extends SettingsSources {
  /**
   * Receives each warning once (a setting overridden by a higher source, a contradiction with the
   * deploy file that development lets pass). Give it your logger:
   * `onWarning: (w) => logger.warn(formatConfigProblem(w))`.
   * @default process.emitWarning, as an `UpgateWarning` (code `UPGATE_SETTINGS`): printed on
   *   stderr by Node unless the app listens to `process.on('warning')` or runs with `--no-warnings`.
   */
  onWarning?: (warning: ConfigProblem) => void;
}

/**
 * Loads upgate's settings: see `resolveSettings` for the sources, their precedence and what is a
 * problem or a warning. Warnings go to `onWarning` (by default `process.emitWarning`: Node's own
 * channel for a library's warnings, which an app can route to its logger with
 * `process.on('warning')` and which never writes to stdout, where an app's output may be data).
 *
 * Defaults: `probePaths` `['/up']`, `trustProxy` `false`, `rejectStatus` 400, `environment`
 * `'development'`, `port` undefined. `allowedHosts` has no default outside development.
 *
 * ```ts
 * loadSettings();                                                   // environment and defaults
 * loadSettings({ options: { allowedHosts: ['app.example.com'] } });  // in code, over the environment
 * loadSettings({ deployFile: readDeployFile('config/deploy.yml') }); // with @upgate/config/kamal
 * ```
 *
 * @throws UpgateConfigError listing every problem of every source at once (its `warnings` hold the
 *   warnings found besides).
 */
export function loadSettings(sources: UpgateSources = {}): UpgateSettings {
  const deployFile: unknown = sources.deployFile;
  if (typeof deployFile === 'string') {
    throw new UpgateConfigError([
      {
        setting: 'deployFile',
        value: JSON.stringify(deployFile),
        message:
          "is a file name; loadSettings takes the file read, so that only apps with a deploy file load a YAML parser: loadSettings({ deployFile: readDeployFile('config/deploy.yml') }), with readDeployFile from '@upgate/config/kamal'",
      },
    ]);
  }
  const resolution = resolveSettings(sources);
  if (resolution.problems.length > 0 || resolution.settings === undefined) {
    throw new UpgateConfigError(resolution.problems, resolution.warnings);
  }
  const warn = sources.onWarning ?? emitUpgateWarning;
  for (const warning of resolution.warnings) warn(warning);
  return resolution.settings;
}

function emitUpgateWarning(warning: ConfigProblem): void {
  process.emitWarning(`upgate: ${formatConfigProblem(warning)}`, { type: 'UpgateWarning', code: 'UPGATE_SETTINGS' });
}
