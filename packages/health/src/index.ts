export { HealthModule } from './health.module.js';
export type {
  HealthModuleAsyncOptions,
  HealthModuleOptions,
  HealthOptionsFactory,
} from './health-module-options.interface.js';
export type { OnShutdownBegin, ProbeDetails, ProbeOptions } from './probe/index.js';
export { Readiness } from './probe/index.js';
export {
  getHostMatcherToken,
  getOptionsToken,
  getSettingsResolutionToken,
  getSettingsToken,
} from './health.constants.js';
export type { HealthSettingsResolution } from './resolve-health-settings.js';
export { HostGuard } from './host.guard.js';
export { AllowHosts } from './allow-hosts.decorator.js';
export { HostRejectedException } from './host-rejected.exception.js';
export type { HostRejection } from './host-rejection.js';
export { DISALLOWED_HOST_MESSAGE, MALFORMED_HOST_MESSAGE } from './host-rejection.js';
export { getCheckedHost } from './checked-host.js';
export { CheckedHost } from './checked-host.decorator.js';
export { DEFAULT_REJECT_LOG_WINDOW_MS, REJECTION_LOG_LINES_PER_WINDOW } from './rejection-log.js';
export { PROBE_OPTION_DEFAULTS } from './probe/probe-options.js';
