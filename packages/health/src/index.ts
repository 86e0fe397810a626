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
export { HostGuard } from './gate/host.guard.js';
export { AllowHosts } from './gate/allow-hosts.decorator.js';
export { HostRejectedException } from './gate/host-rejected.exception.js';
export type { HostRejection } from './gate/host-rejection.js';
export { DISALLOWED_HOST_MESSAGE, MALFORMED_HOST_MESSAGE } from './gate/host-rejection.js';
export { getCheckedHost } from './gate/checked-host.js';
export { CheckedHost } from './gate/checked-host.decorator.js';
export { DEFAULT_REJECT_LOG_WINDOW_MS, REJECTION_LOG_LINES_PER_WINDOW } from './gate/rejection-log.js';
export { ServerGates } from './server/server-gates.js';
export { PROBE_OPTION_DEFAULTS } from './probe/probe-options.js';
