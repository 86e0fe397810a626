import type { InjectionToken, LoggerService, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type { DeployFileReading, UpgateOptions } from '@upgate/config';
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
   * Where host rejections (warn level), setting warnings and the gates' debug lines go.
   * @default a NestJS `Logger` with context 'upgate', i.e. the app's logger
   */
  logger?: LoggerService;
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
