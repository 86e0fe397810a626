/**
 * `@upgate/config/check`: what `upgate check` runs, for tools that want it as a function: the
 * comparison of a deploy file with the app's settings, and its report.
 */
export type { DeploymentFinding, DeploymentRule, FindingSeverity } from './check/deployment-finding.js';
export type { ComparedSetting, DeploymentAppSettings } from './check/check-deployment.js';
export { checkDeployment } from './check/check-deployment.js';
export { kamalHealthCheckRequestPath } from './check/kamal-health-check-path.js';
export { formatFinding, formatSummary } from './check/format-findings.js';
