import { type DynamicModule, Module } from '@nestjs/common';
import { DiskHealthIndicator, HealthIndicatorService, MemoryHealthIndicator, TerminusModule } from '@nestjs/terminus';
import { HealthModule } from '@upgate/health';
import { adminController } from './admin/admin-controller.factory.js';
import { DatabaseModule } from './database/database.module.js';
import type { DatabaseSettings } from './database/database-settings.js';
import { PostgresHealthIndicator } from './database/postgres-health.indicator.js';
import { PROBE_TIMEOUT_MS, readinessChecks, STARTUP_PATH, startupChecks } from './health/readiness.js';
import { ItemsModule } from './items/items.module.js';
import { ItemsService } from './items/items.service.js';
import { PasswordResetController } from './password-reset/password-reset.controller.js';
import { READINESS_PATH, type DemoSettings } from './settings/demo-settings.js';
import { DEMO_SETTINGS } from './settings/demo-settings.token.js';
import { WorkController } from './work/work.controller.js';

/** What the platform decides beside the demo's settings: the database, the shutdown delay. */
export interface PlatformSettings {
  readonly database: DatabaseSettings;
  readonly shutdownDelayMs: number;
}

@Module({})
export class AppModule {
  /** The app for these settings (loaded in main.ts before Nest starts, so that bad ones stop it with the reason). */
  static register(settings: DemoSettings, platform: PlatformSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TerminusModule,
        DatabaseModule.register(platform.database),
        ItemsModule,
        HealthModule.forRootAsync({
          imports: [TerminusModule, ItemsModule],
          inject: [
            MemoryHealthIndicator,
            DiskHealthIndicator,
            PostgresHealthIndicator,
            ItemsService,
            HealthIndicatorService,
          ],
          useFactory: (
            memory: MemoryHealthIndicator,
            disk: DiskHealthIndicator,
            postgres: PostgresHealthIndicator,
            items: ItemsService,
            health: HealthIndicatorService,
          ) => ({
            ...settings.upgate,
            probePaths: [...new Set([...settings.upgate.probePaths, STARTUP_PATH])],
            probes: {
              ...Object.fromEntries(settings.livenessPaths.map((path) => [path, []])),
              [READINESS_PATH]: readinessChecks(memory, disk, postgres),
              [STARTUP_PATH]: startupChecks(items, health),
            },
            readinessPaths: [READINESS_PATH],
            startupPath: STARTUP_PATH,
            probeTimeoutMs: PROBE_TIMEOUT_MS,
            shutdownDelayMs: platform.shutdownDelayMs,
          }),
        }),
      ],
      controllers: [
        PasswordResetController,
        WorkController,
        ...(settings.adminHosts.length > 0 ? [adminController(settings.adminHosts)] : []),
      ],
      providers: [{ provide: DEMO_SETTINGS, useValue: settings }],
    };
  }
}
