/**
 * The settings of upgate, framework-free. `UpgateOptions` is what a user writes (every field
 * optional); `UpgateSettings` is what the loaders return once merged, defaulted and validated.
 */

/** Statuses a well-formed but unlisted host may get. 400 as Django, 403 as Rails, 421 Misdirected Request. */
export type RejectStatus = 400 | 403 | 421;

/**
 * Whether `X-Forwarded-Host` is believed. `false`: ignored (default). `true`: believed from any
 * peer. A list: believed only when the connection's peer address is one of these addresses or inside
 * one of these CIDRs; `loopback` and `private` name the usual ranges.
 */
export type TrustProxy = boolean | readonly string[];

/** What a user writes. Every field is optional; the defaults are documented on `UpgateSettings`. */
export interface UpgateOptions {
  /** @see UpgateSettings.allowedHosts */
  allowedHosts?: readonly string[];
  /** @see UpgateSettings.probePaths */
  probePaths?: readonly string[];
  /** @see UpgateSettings.trustProxy */
  trustProxy?: TrustProxy;
  /** @see UpgateSettings.rejectStatus */
  rejectStatus?: RejectStatus;
  /** @see UpgateSettings.environment */
  environment?: string;
  /** @see UpgateSettings.port */
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
  /** @default false */
  readonly trustProxy: TrustProxy;
  /** @default 400 */
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
