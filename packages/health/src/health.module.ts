import {
  type DynamicModule,
  Global,
  Logger,
  type LoggerService,
  Module,
  type Provider,
  type Type,
} from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { compileHostMatcher, formatConfigProblem, UpgateConfigError, type UpgateSettings } from '@upgate/config';
import { CheckMode, checkModeTarget, settingsReport, writeCheckReport } from './check-mode.js';
import type {
  HealthModuleAsyncOptions,
  HealthModuleOptions,
  HealthOptionsFactory,
} from './health-module-options.interface.js';
import { ForwardedHostTrust } from './gate/forwarded-host-trust.js';
import { FrameworkGate } from './gate/framework-gate.js';
import { HostGate } from './gate/host-gate.js';
import { HostGuard } from './gate/host.guard.js';
import { HostMatcherRegistry } from './gate/host-matcher-registry.js';
import { DEFAULT_REJECT_LOG_WINDOW_MS, RejectionLog } from './gate/rejection-log.js';
import {
  HEALTH_LOGGER,
  HEALTH_MODULE_OPTIONS,
  HEALTH_SETTINGS,
  HEALTH_SETTINGS_RESOLUTION,
  HOST_MATCHER,
} from './health.constants.js';
import { probeProviders, Readiness } from './probe/index.js';
import { type HealthSettingsResolution, resolveHealthSettings } from './resolve-health-settings.js';
import { GatewayServers } from './server/gateway-servers.js';
import { ServerGates } from './server/server-gates.js';

/**
 * Health probes answered at the HTTP server and the Host allowlist enforced before any code of the
 * app runs. Import it once, in the root module; nothing goes in `main.ts`:
 *
 * ```ts
 * @Module({ imports: [HealthModule.forRoot({ allowedHosts: ['app.example.com'], probes: { '/up': [] } })] })
 * export class AppModule {}
 * ```
 *
 * Global, so that `HostGuard` / `@AllowHosts()` and the tokens (`getSettingsToken()`, ...) can be
 * used in any module. Bad settings make `NestFactory.create()` (or `app.init()`) fail with an
 * `UpgateConfigError` listing every problem; warnings (a setting overridden by a higher source, a
 * contradiction with the deploy file that development lets pass) are logged once, at start-up,
 * through the module's logger with the context 'upgate'.
 *
 * `forRoot` / `forRootAsync` are written out rather than made with `ConfigurableModuleBuilder`: the
 * builder takes whichever of `useFactory` / `useClass` / `useExisting` it finds first without a word
 * (and with none given fails only later, inside Nest's injector), while a mistake here is refused at
 * once with a message naming it; and its generated async-options type carries no documentation.
 */
@Global()
@Module({})
export class HealthModule {
  /** Registers the module with options known when the module is imported. */
  static forRoot(options: HealthModuleOptions = {}): DynamicModule {
    const providers: Provider[] = [{ provide: HEALTH_MODULE_OPTIONS, useValue: options }, ...sharedProviders()];
    return { module: HealthModule, imports: [DiscoveryModule], providers, exports: exportedTokens() };
  }

  /** Registers the module with options from a factory, a class or an existing provider (`@nestjs/config`, ...). */
  static forRootAsync(options: HealthModuleAsyncOptions): DynamicModule {
    const providers: Provider[] = [...asyncOptionsProviders(options), ...sharedProviders()];
    return {
      module: HealthModule,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers,
      exports: exportedTokens(),
    };
  }
}

function sharedProviders(): Provider[] {
  return [
    {
      provide: HEALTH_SETTINGS_RESOLUTION,
      useFactory: resolveAndReport,
      inject: [HEALTH_MODULE_OPTIONS, HEALTH_LOGGER],
    },
    {
      provide: HEALTH_SETTINGS,
      useFactory: (resolution: HealthSettingsResolution) => resolution.settings,
      inject: [HEALTH_SETTINGS_RESOLUTION],
    },
    {
      provide: HOST_MATCHER,
      useFactory: (settings: UpgateSettings) => compileHostMatcher(settings),
      inject: [HEALTH_SETTINGS],
    },
    {
      provide: HEALTH_LOGGER,
      useFactory: (options: HealthModuleOptions | undefined): LoggerService => options?.logger ?? new Logger(),
      inject: [HEALTH_MODULE_OPTIONS],
    },
    {
      provide: RejectionLog,
      useFactory: (logger: LoggerService, options: HealthModuleOptions) =>
        new RejectionLog(logger, options.rejectLogWindowMs ?? DEFAULT_REJECT_LOG_WINDOW_MS),
      // The settings first: they validate `rejectLogWindowMs`.
      inject: [HEALTH_LOGGER, HEALTH_MODULE_OPTIONS, HEALTH_SETTINGS],
    },
    HostMatcherRegistry,
    ForwardedHostTrust,
    HostGate,
    HostGuard,
    // The server gate before the framework gate: a second HealthModule is refused by the first.
    ServerGates,
    GatewayServers,
    FrameworkGate,
    // The probe runner reads the probe fields of the same options, once the settings (which check
    // them together with every other problem) have resolved.
    ...probeProviders(HEALTH_MODULE_OPTIONS, HEALTH_SETTINGS),
    CheckMode,
  ];
}

/**
 * The settings, resolved once: a problem fails the start-up with every problem listed; warnings are
 * logged, once. In check mode (`UPGATE_CHECK`) settings that stop the app are reported first.
 */
async function resolveAndReport(
  options: HealthModuleOptions,
  logger: LoggerService,
): Promise<HealthSettingsResolution> {
  const resolution = await resolveHealthSettings(options);
  if (resolution.problems.length > 0 || resolution.settings === undefined) {
    const target = checkModeTarget();
    if (target !== undefined) writeCheckReport(target, settingsReport(resolution, options), 1);
    throw new UpgateConfigError(resolution.problems, resolution.warnings);
  }
  for (const warning of resolution.warnings) logger.warn(formatConfigProblem(warning), 'upgate');
  return resolution;
}

/** What `HostGuard` needs wherever it is used, and the tokens and providers other code may inject. */
function exportedTokens(): (symbol | Type)[] {
  return [
    HEALTH_MODULE_OPTIONS,
    HEALTH_SETTINGS,
    HEALTH_SETTINGS_RESOLUTION,
    HOST_MATCHER,
    HEALTH_LOGGER,
    RejectionLog,
    HostMatcherRegistry,
    HostGate,
    HostGuard,
    Readiness,
    ServerGates,
  ];
}

function asyncOptionsProviders(options: HealthModuleAsyncOptions): Provider[] {
  const given = [options.useFactory, options.useClass, options.useExisting].filter((x) => x !== undefined).length;
  if (given !== 1) {
    throw new Error(
      `upgate: HealthModule.forRootAsync() needs exactly one of useFactory, useClass or useExisting (got ${given === 0 ? 'none' : given})`,
    );
  }
  if (options.useFactory !== undefined) {
    return [{ provide: HEALTH_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }];
  }
  const factoryClass = (options.useClass ?? options.useExisting) as Type<HealthOptionsFactory>;
  const providers: Provider[] = [
    {
      provide: HEALTH_MODULE_OPTIONS,
      useFactory: (factory: HealthOptionsFactory) => factory.createHealthOptions(),
      inject: [factoryClass],
    },
  ];
  if (options.useClass !== undefined) providers.push({ provide: options.useClass, useClass: options.useClass });
  return providers;
}
