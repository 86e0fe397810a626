/**
 * `@upgate/config`: the settings (resolved from options, environment variables and a deploy file
 * already read), their validation and origins, and the host matcher. Loads no YAML parser: the
 * deploy file is read by `@upgate/config/kamal`, `upgate check` lives in `@upgate/config/check`.
 */
export type { ConfigProblem } from './upgate-config.error.js';
export { formatConfigProblem, UpgateConfigError } from './upgate-config.error.js';
export type {
  PartialUpgateSettings,
  RejectStatus,
  SettingKey,
  TrustProxy,
  UpgateOptions,
  UpgateSettings,
} from './settings.js';
export { DEFAULT_PROBE_PATHS, DEVELOPMENT_ALLOWED_HOSTS, REJECT_STATUSES, SETTING_KEYS } from './settings.js';
export type { ExtraProbePaths, SettingsResolution, SettingsSources } from './resolve/resolve-settings.js';
export { resolveSettings } from './resolve/resolve-settings.js';
export type { SettingOrigin, SettingSource } from './resolve/setting-origin.js';
export { describeOrigins } from './resolve/setting-origin.js';
export { coversProxyHost } from './resolve/covers-proxy-host.js';
export type { UpgateSources } from './load/load-settings.js';
export { loadSettings } from './load/load-settings.js';
export { settingsFromObject } from './load/object-source.js';
export type { Environment } from './load/env-source.js';
export { ENV_VARIABLES, settingsFromEnv } from './load/env-source.js';
export type { DeployFileReading } from './load/deploy-file-reading.js';
export type { KamalDeployConfig, KamalLocation, KamalProxyConfig } from './load/kamal/kamal-deploy-config.js';
export type { AppSettingsReport } from './check/app-settings-report.js';
export { APP_SETTINGS_REPORT_FORMAT, UPGATE_CHECK_VARIABLE } from './check/app-settings-report.js';
export type { AllowlistEntryProblem } from './host/allowlist-entry.js';
export { parseAllowlistEntry } from './host/allowlist-entry.js';
export { checkProbePath } from './host/probe-path.js';
export { checkTrustProxyEntry, compileTrustProxy } from './proxy/trust-proxy.js';
export type { HostDecision, HostDecisionKind, HostRequest, HostValueSource } from './host/host-decision.js';
export type { HostAllowlistMatcher, HostMatcher, HostMatcherOptions } from './host/host-matcher.js';
export { compileHostAllowlist, compileHostMatcher } from './host/host-matcher.js';
