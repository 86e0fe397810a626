/**
 * The settings of upgate, framework-free. `UpgateOptions` is what a user writes (every field
 * optional); `UpgateSettings` is what the loaders return once merged, defaulted and validated.
 *
 * Where each setting comes from, highest precedence first (see `loadSettings`):
 * | setting        | option         | environment          | Kamal `config/deploy.yml`            | default |
 * | -------------- | -------------- | -------------------- | ------------------------------------ | ------- |
 * | allowed hosts  | `allowedHosts` | `ALLOWED_HOSTS`      | `proxy.host` / `proxy.hosts`         | none; in development `.localhost, 127.0.0.1, [::1]` |
 * | probe paths    | `probePaths`   | `HEALTH_PROBE_PATHS` | `proxy.healthcheck.path` (`/up`)     | `/up` |
 * | proxy trust    | `trustProxy`   | `TRUST_PROXY`        | (none: kamal-proxy passes Host on)   | `false` |
 * | reject status  | `rejectStatus` | `HOST_REJECT_STATUS` | (none)                               | `400` |
 * | environment    | `environment`  | `NODE_ENV`           | (none)                               | `development` |
 * | port           | `port`         | `PORT`               | `proxy.app_port` (Kamal's default 80)| none |
 */

/** Statuses a well-formed but unlisted host may get. 400 as Django, 403 as Rails, 421 Misdirected Request. */
export type RejectStatus = 400 | 403 | 421;

/** Every status `rejectStatus` accepts, in the order the messages list them. */
export const REJECT_STATUSES: readonly RejectStatus[] = Object.freeze([400, 403, 421] as const);

/**
 * Whether `X-Forwarded-Host` is believed. `false`: ignored (default). `true`: believed from any
 * peer. A list: believed only when the connection's peer address is one of these addresses or inside
 * one of these CIDRs; `loopback` and `private` name the usual ranges.
 */
export type TrustProxy = boolean | readonly string[];

/** The probe path kamal-proxy checks when `proxy.healthcheck.path` is not set, and upgate's default. */
export const DEFAULT_PROBE_PATHS: readonly string[] = Object.freeze(['/up']);

/** The allowlist used in development when none is given (Django's development default, plus IPv6). */
export const DEVELOPMENT_ALLOWED_HOSTS: readonly string[] = Object.freeze(['.localhost', '127.0.0.1', '[::1]']);

/** The environment assumed when neither `environment` nor `NODE_ENV` is given. */
export const DEFAULT_ENVIRONMENT = 'development';

/**
 * What a user writes. Every field is optional; an omitted field is taken from the environment,
 * then from the Kamal deploy file (when `loadSettings` is given one), then from its default.
 */
export interface UpgateOptions {
  /**
   * Hosts this app answers for: `example.com`, `example.com:8443`, `.example.com` (the domain and
   * every subdomain), `*.example.com` (subdomains only), `*`, IP literals (`203.0.113.7`,
   * `[2001:db8::1]`) and CIDRs (`10.0.0.0/8`). Environment: `ALLOWED_HOSTS` (comma-separated).
   * Kamal: `proxy.host` / `proxy.hosts`.
   * An empty list counts as not given.
   * @default none — an error outside development; in development `['.localhost', '127.0.0.1', '[::1]']`.
   */
  allowedHosts?: readonly string[];
  /**
   * Paths answered by the health layer whatever the Host: absolute paths without query or
   * fragment, matched exactly for GET and HEAD. Environment: `HEALTH_PROBE_PATHS`
   * (comma-separated). Kamal: `proxy.healthcheck.path`, which must be among them.
   * An empty list turns probe answering off.
   * @default ['/up']
   */
  probePaths?: readonly string[];
  /**
   * Whether `X-Forwarded-Host` is believed: `false`, `true` (from any peer), or the peers to
   * believe it from (addresses, CIDRs, `loopback`, `private`). Environment: `TRUST_PROXY`
   * (`true`, `false` or a comma-separated list).
   * @default false
   */
  trustProxy?: TrustProxy;
  /**
   * Status for a well-formed Host that is not allowed: 400, 403 or 421. Malformed hosts always
   * get 400. Environment: `HOST_REJECT_STATUS`.
   * @default 400
   */
  rejectStatus?: RejectStatus;
  /**
   * The deployment environment; only `development` gets the default allowlist.
   * Environment: `NODE_ENV`.
   * @default 'development'
   */
  environment?: string;
  /**
   * The port the app listens on, 1-65535. Environment: `PORT`. Kamal: `proxy.app_port`
   * (80 when not set), which it must equal when both are given.
   * @default undefined — the app decides.
   */
  port?: number;
}

/** The resolved settings. */
export interface UpgateSettings {
  /**
   * Host allowlist entries, normalised (lower case, one trailing dot removed, Unicode names in
   * punycode): `example.com`, `example.com:8443`, `.example.com`, `*.example.com`, `*`, IP literals
   * and CIDRs. See the host rules in the README.
   * @default [] — an error outside development; in development `['.localhost', '127.0.0.1', '[::1]']`.
   */
  readonly allowedHosts: readonly string[];
  /**
   * Paths answered by the health layer whatever the Host (exact match, GET and HEAD).
   * @default ['/up'] — what kamal-proxy checks by default.
   */
  readonly probePaths: readonly string[];
  /**
   * Whether `X-Forwarded-Host` is believed (`false`, `true`, or the trusted peers).
   * @default false
   */
  readonly trustProxy: TrustProxy;
  /**
   * Status for a well-formed but unlisted Host.
   * @default 400
   */
  readonly rejectStatus: RejectStatus;
  /**
   * The deployment environment, from `NODE_ENV`. Only `development` gets the default allowlist.
   * @default 'development'
   */
  readonly environment: string;
  /**
   * The port the app listens on (from `PORT` or Kamal's `proxy.app_port`), when known.
   * @default undefined — the app decides (the demo uses 3000).
   */
  readonly port?: number;
}

/**
 * What one source (an options object, the environment, a deploy file) contributes: the fields it
 * gives, already checked and normalised. `resolveSettings` merges these by precedence.
 */
export type PartialUpgateSettings = Partial<UpgateSettings>;

/** The name of one setting, as `UpgateSettings` has it. */
export type SettingKey = keyof UpgateSettings;

/** Every setting, in the order messages and reports list them. */
export const SETTING_KEYS: readonly SettingKey[] = Object.freeze([
  'allowedHosts',
  'probePaths',
  'trustProxy',
  'rejectStatus',
  'environment',
  'port',
] as const);
