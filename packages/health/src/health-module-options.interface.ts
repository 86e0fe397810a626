import type { InjectionToken, LoggerService, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type { DeployFileReading, UpgateOptions } from '@upgate/config';
import type { RejectionResponseFormat } from './gate/rejection-response.js';
import type { HealthMetricsOptions } from './observe/health-metrics.js';
import type { ProbeOptions } from './probe/probe-options.js';

/**
 * Options of `HealthModule.forRoot()`: the host settings of `@upgate/config` (`allowedHosts`,
 * `probePaths`, `trustProxy`, `rejectStatus`, `environment`, `port`, resolved by its
 * `resolveSettings()`: a value given here > environment variables > the deploy file > defaults),
 * Kamal's deploy file (`deployFile`, `destination`), the probe settings (`probes`, whose keys are
 * probe paths too, `probeTimeoutMs`, `probeCacheMs`, `probeDetails`, `shutdownDelayMs`) and the
 * fields below. Every field is optional and documented with its default.
 */
export interface HealthModuleOptions extends UpgateOptions, ProbeOptions {
  /**
   * Kamal's deploy file, the lowest-precedence source of the host settings: `proxy.host(s)` become
   * the allowlist, `proxy.healthcheck.path` a probe path, `proxy.app_port` the port, so that they are
   * written in one place. A path (relative to the working directory, e.g. `'config/deploy.yml'`),
   * read at start-up; or the file already read with `readDeployFile()` of `@upgate/config/kamal`,
   * for an app that uses it too. The Kamal reader and its YAML parser are loaded only when this is
   * given.
   *
   * Outside development, a setting given here or in the environment that leaves out part of the
   * deploy file (probe paths without `proxy.healthcheck.path`, another port, an allowlist that
   * rejects a proxy host) stops the app: kamal-proxy would fail the deploy. In development (NODE_ENV
   * unset or `development`) these are warnings, `PORT` wins, and the allowlist is the deploy file's
   * hosts plus `.localhost`, `127.0.0.1` and `[::1]`.
   * @default undefined — no deploy file is read.
   */
  deployFile?: string | DeployFileReading | false;
  /**
   * Kamal destination (`kamal deploy -d staging`): `deploy.<destination>.yml` next to `deployFile`
   * is merged over it, and must exist. Only with a `deployFile` path.
   * @default undefined — the deploy file alone.
   */
  destination?: string;
  /**
   * A rejected host value is logged once per this many milliseconds. Per window at most
   * `REJECTION_LOG_LINES_PER_WINDOW` (100) lines are written, then one "N more host rejections
   * suppressed" line, so that a flood of bad Host headers fills neither the disk nor the memory.
   * @default 60000
   */
  rejectLogWindowMs?: number;
  /**
   * Where every line of the module goes, under the context 'upgate': host rejections (warn), changes
   * of a probe path's state, readiness and the start of shutdown, the start-up line, setting
   * warnings. Lines carry their fields for loggers that take objects (nestjs-pino, `ConsoleLogger`
   * with `json: true`) and read as one line on a text console.
   * @default Nest's `Logger`, i.e. whatever the app installed (`app.useLogger()`, `bufferLogs`)
   */
  logger?: LoggerService;
  /**
   * What a request rejected for its host gets, from either gate (a WebSocket upgrade or CONNECT
   * too, written raw), and what `HostGuard`'s `HostRejectedException` carries:
   * - `'text'`: `Bad Request: host not allowed (not in this server's allowed hosts).`, `text/plain`;
   * - `'json'`: the body of Nest's `HttpException`, `{"message":"host not allowed (...)","error":"Bad Request","statusCode":400}`;
   * - `'problem+json'`: RFC 9457, `{"type":"about:blank","title":"Bad Request","status":400,"detail":"host not allowed (...)"}`,
   *   `application/problem+json`;
   * - a function of the rejection's details (escaped: no raw request value) returning `{ status, headers, body }`;
   *   a function that throws or returns what cannot be sent is logged once and replaced by `'text'`.
   * Every format gets `Cache-Control: no-store` (unless the function sets it), `Content-Length`, and on
   * HTTP/1 `Connection: close`.
   * @default 'text'
   */
  rejectionResponse?: RejectionResponseFormat;
  /**
   * Prometheus metrics with prom-client (an optional peer dependency: `npm install prom-client`;
   * imported only when this is on): `upgate_host_rejections_total{rule,status}`,
   * `upgate_probe_responses_total{path,status}`, `upgate_probe_check_duration_seconds{path}`.
   * `true` registers them in prom-client's default registry; `{ registry }` in that one. Serve the
   * registry at a route of your app (`/metrics`).
   * @default false
   */
  metrics?: boolean | HealthMetricsOptions;
}

/** Implemented by a class given to `forRootAsync({ useClass })` or `forRootAsync({ useExisting })`. */
export interface HealthOptionsFactory {
  createHealthOptions(): Promise<HealthModuleOptions> | HealthModuleOptions;
}

/**
 * Options of `HealthModule.forRootAsync()`: exactly one of `useFactory`, `useClass`, `useExisting`.
 * @example
 * HealthModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ allowedHosts: config.getOrThrow<string>('HOSTS').split(',') }),
 * })
 */
export interface HealthModuleAsyncOptions {
  /**
   * Modules whose exported providers `inject`, `useClass` or `useExisting` need (`ConfigModule`).
   * @default []
   */
  imports?: ModuleMetadata['imports'];
  /**
   * Returns the options, possibly asynchronously.
   * @default undefined
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the injected providers' types are the caller's
  useFactory?: (...args: any[]) => Promise<HealthModuleOptions> | HealthModuleOptions;
  /**
   * Providers passed to `useFactory`, in order.
   * @default []
   */
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  /**
   * A `HealthOptionsFactory` class, instantiated inside the module.
   * @default undefined
   */
  useClass?: Type<HealthOptionsFactory>;
  /**
   * An existing provider (exported by one of `imports`) implementing `HealthOptionsFactory`.
   * @default undefined
   */
  useExisting?: Type<HealthOptionsFactory>;
}
