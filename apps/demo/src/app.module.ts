import { type DynamicModule, Module } from '@nestjs/common';
import { DiskHealthIndicator, HealthIndicatorService, MemoryHealthIndicator, TerminusModule } from '@nestjs/terminus';
import type { DeployFileReading } from '@upgate/config';
import { HealthModule } from '@upgate/health';
import { adminController } from './admin/admin-controller.factory.js';
import { DatabaseModule } from './database/database.module.js';
import type { DatabaseSettings } from './database/database-settings.js';
import { PostgresHealthIndicator } from './database/postgres-health.indicator.js';
import { PROBE_TIMEOUT_MS, readinessChecks, STARTUP_PATH, startupChecks } from './health/readiness.js';
import { ItemsModule } from './items/items.module.js';
import { ItemsService } from './items/items.service.js';
import { PasswordResetController } from './password-reset/password-reset.controller.js';
import { adminHosts, READINESS_PATH } from './settings/demo-settings.js';
import { WorkController } from './work/work.controller.js';

/** What the platform decides beside the deploy file: the database, the shutdown delay. */
export interface PlatformSettings {
  readonly database: DatabaseSettings;
  readonly shutdownDelayMs: number;
}

@Module({})
export class AppModule {
  /**
   * The app for its deploy file (read once in main.ts): HealthModule takes the hosts, the
   * health-check path and the port from it; the admin API its admin host.
   */
  static register(deployFile: DeployFileReading | undefined, platform: PlatformSettings): DynamicModule {
    const admin = adminHosts(deployFile);
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
            deployFile: deployFile ?? false,
            // /up, kamal-proxy's check, comes from the deploy file and stays a liveness probe.
            probes: {
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
      controllers: [PasswordResetController, WorkController, ...(admin.length > 0 ? [adminController(admin)] : [])],
    };
  }
}
