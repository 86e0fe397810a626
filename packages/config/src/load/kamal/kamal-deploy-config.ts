/**
 * The part of a Kamal 2 deploy configuration that upgate reads, with where each value was written.
 */

/** What kamal-proxy does when `config/deploy.yml` leaves a setting out. */
export const KAMAL_PROXY_DEFAULTS = Object.freeze({
  /** `proxy.healthcheck.path` */
  healthcheckPath: '/up',
  /** `proxy.healthcheck.interval`, seconds */
  healthcheckInterval: 1,
  /** `proxy.healthcheck.timeout`, seconds */
  healthcheckTimeout: 5,
  /** `proxy.app_port` */
  appPort: 80,
});

/** A place in a deploy file. */
export interface KamalLocation {
  /** The file as given to the reader, relative to its `cwd` where possible (`config/deploy.staging.yml`). */
  readonly file: string;
  /** 1-based line of the key. */
  readonly line: number;
}

/** The effective proxy settings of the primary role (root `proxy`, with the role's own `proxy` merged over it). */
export interface KamalProxyConfig {
  /** `false` when the primary role sets `proxy: false` (then Kamal runs no proxy for the app). */
  readonly enabled: boolean;
  /**
   * `proxy.hosts`, or `proxy.host` split on commas as Kamal splits it, as written (trimmed).
   * Empty when neither is set: kamal-proxy then routes every host not claimed by another app.
   */
  readonly hosts: readonly string[];
  readonly healthcheck: {
    /** `proxy.healthcheck.path`, default `/up`. */
    readonly path: string;
    /** `proxy.healthcheck.interval` in seconds, when set (kamal-proxy's default: 1). */
    readonly interval?: number;
    /** `proxy.healthcheck.timeout` in seconds, when set (kamal-proxy's default: 5). */
    readonly timeout?: number;
  };
  /** `proxy.app_port`: where kamal-proxy sends requests and probes. Default 80. */
  readonly appPort: number;
  /** `proxy.ssl`: `true` for `ssl: true` and for a custom certificate mapping. Default false. */
  readonly ssl: boolean;
  /**
   * Whether kamal-proxy passes the client's `X-Forwarded-For`/`-Proto`/`-Host` on
   * (`proxy.forward_headers`; when not set, kamal-proxy's default: `true` without ssl, `false`
   * with it). When `false`, kamal-proxy sets those headers itself from the request it received.
   */
  readonly forwardHeaders: boolean;
}

/** A Kamal deploy file (with its destination overlay) as upgate reads it. */
export interface KamalDeployConfig {
  /** The base file (`config/deploy.yml`), as shown in messages. */
  readonly file: string;
  /** Every file read, in merge order: the base file, then `deploy.<destination>.yml`. */
  readonly files: readonly string[];
  /** The destination whose overlay was merged, when one was given. */
  readonly destination?: string;
  /** `service`, when set. */
  readonly service?: string;
  /** `primary_role`, default `web`: the role whose proxy settings apply. */
  readonly primaryRole: string;
  readonly proxy: KamalProxyConfig;
  /**
   * Where a key was written, after merging: `proxy.app_port`, `proxy.hosts[1]`,
   * `proxy.healthcheck.path`, `servers.web.proxy`, `service`. `proxy.*` keys name the effective
   * proxy settings, so they point into `servers.<primary role>.proxy` where the role sets them.
   * `undefined` when the key is not written (a default applies).
   */
  locate(key: string): KamalLocation | undefined;
}
