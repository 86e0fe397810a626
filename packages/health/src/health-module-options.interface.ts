import type { InjectionToken, LoggerService, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type { UpgateOptions } from '@upgate/config';
import type { ProbeOptions } from './probe/probe-options.js';

/**
 * Options of `HealthModule.forRoot()`: the host settings of `@upgate/config` (`allowedHosts`,
 * `probePaths`, `trustProxy`, `rejectStatus`, `environment`, `port`, resolved by its `loadSettings()`:
 * a value given here > environment variables > defaults), the probe settings (`probes`,
 * `probeTimeoutMs`, `probeCacheMs`, `probeDetails`, `shutdownDelayMs`) and the fields below.
 * Every field is optional and documented with its default.
 */
export interface HealthModuleOptions extends UpgateOptions, ProbeOptions {
  /**
   * A rejected host value is logged once per this many milliseconds. Per window at most
   * `REJECTION_LOG_LINES_PER_WINDOW` (100) lines are written, then one "N more host rejections
   * suppressed" line, so that a flood of bad Host headers fills neither the disk nor the memory.
   * @default 60000
   */
  rejectLogWindowMs?: number;
  /**
   * Where host rejections (warn level) and the layer's debug lines go.
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
