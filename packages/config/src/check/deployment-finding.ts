/**
 * What `checkDeployment` reports: one mismatch between a Kamal deploy file and the app's settings,
 * with where it is written and how to fix it.
 */
import type { KamalLocation } from '../load/kamal/kamal-deploy-config.js';

/**
 * `error`: the deploy fails or the app is unreachable (`upgate check` exits 1). `warning`: it works,
 * but probably not as meant. `info`: something the check could not verify, and why.
 */
export type FindingSeverity = 'error' | 'warning' | 'info';

/** Which comparison a finding comes from; stable, for machines (`--json`). */
export type DeploymentRule =
  /** The deploy file or the app's settings are invalid in themselves. */
  | 'invalid-settings'
  /** `proxy: false` on the primary role: no kamal-proxy, nothing to compare. */
  | 'proxy-disabled'
  /** kamal-proxy's health-check path is not a probe path of the app. */
  | 'probe-path'
  /** The health-check path would reach app code that redirects it. */
  | 'probe-redirect'
  /** A `proxy.host(s)` entry the app's allowlist does not allow, or no host at all. */
  | 'host-not-allowed'
  /** `proxy.app_port` is not the port the app listens on. */
  | 'app-port'
  /** `proxy.ssl` without `forward_headers` while the app trusts forwarded headers. */
  | 'forwarded-headers'
  /** kamal-proxy's health-check timeout is not longer than the app's probe deadline. */
  | 'healthcheck-timeout'
  /** kamal-proxy's health-check path runs dependency checks in the app (`--app`). */
  | 'probe-checks'
  /** What the app warns about at start-up (`--app`): an overridden setting, a contradiction development allows. */
  | 'app-warning'
  /** The app reads another deploy file, or the same with another destination, than the one checked (`--app`). */
  | 'deploy-file-differs'
  /** The app could not be checked: it failed to start, wrote no report, or took too long (`--app`). */
  | 'app-not-checked'
  /** The running app did not answer kamal-proxy's health check with 2xx in time (`--url`). */
  | 'preflight-probe'
  /** The running app rejected a host kamal-proxy routes to it (`--url`). */
  | 'preflight-host'
  /** The running app answered a host that no allowlist lists: its host check is off (`--url`). */
  | 'preflight-unlisted-host'
  /** Nothing answered at the URL (`--url`). */
  | 'preflight-unreachable';

export interface DeploymentFinding {
  readonly rule: DeploymentRule;
  readonly severity: FindingSeverity;
  /**
   * The setting the finding is about: a deploy-file key (`proxy.healthcheck.path`), or a variable
   * of an env file (`ALLOWED_HOSTS`). Absent for the app's settings given in the environment or flags.
   */
  readonly key?: string;
  /**
   * Where that setting is written (file and line). Absent when it is not written and Kamal's
   * default applies, or when it was not given in a file.
   */
  readonly location?: KamalLocation;
  /** What is wrong and what follows from it, naming both sides' values and where they come from. */
  readonly message: string;
  /** What to change, on either side. */
  readonly fix: string;
}
