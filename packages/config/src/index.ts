export type { ConfigProblem } from './upgate-config.error.js';
export { UpgateConfigError } from './upgate-config.error.js';
export type { RejectStatus, TrustProxy, UpgateOptions, UpgateSettings } from './settings.js';
export type { HostDecision, HostDecisionKind, HostRequest } from './host/host-decision.js';
