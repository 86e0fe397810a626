export type { ConfigProblem } from './upgate-config.error.js';
export { UpgateConfigError } from './upgate-config.error.js';
export type { RejectStatus, TrustProxy, UpgateOptions, UpgateSettings } from './settings.js';
export type { HostDecision, HostDecisionKind, HostRequest } from './host/host-decision.js';
export type { AllowlistEntryProblem } from './host/allowlist-entry.js';
export { parseAllowlistEntry } from './host/allowlist-entry.js';
export { checkProbePath } from './host/probe-path.js';
export { checkTrustProxyEntry, compileTrustProxy } from './proxy/trust-proxy.js';
