import { type DynamicModule, Module } from '@nestjs/common';
import { DiskHealthIndicator, MemoryHealthIndicator, TerminusModule } from '@nestjs/terminus';
import type { DeployFileReading } from '@upgate/config';
import { HealthModule } from '@upgate/health';
import { adminController } from './admin/admin-controller.factory.js';
import { PROBE_TIMEOUT_MS, readinessChecks } from './health/readiness.js';
import { ItemsController } from './items/items.controller.js';
import { ItemsService } from './items/items.service.js';
import { PasswordResetController } from './password-reset/password-reset.controller.js';
import { adminHosts, READINESS_PATH } from './settings/demo-settings.js';
import { WorkController } from './work/work.controller.js';

@Module({})
export class AppModule {
  /**
   * The app for its deploy file (read once in main.ts): HealthModule takes the hosts, the
   * health-check path and the port from it; the admin API its admin host.
   */
  static register(deployFile: DeployFileReading | undefined): DynamicModule {
    const admin = adminHosts(deployFile);
    return {
      module: AppModule,
      imports: [
        TerminusModule,
        HealthModule.forRootAsync({
          imports: [TerminusModule],
          inject: [MemoryHealthIndicator, DiskHealthIndicator],
          useFactory: (memory: MemoryHealthIndicator, disk: DiskHealthIndicator) => ({
            deployFile: deployFile ?? false,
            // /up, kamal-proxy's check, comes from the deploy file and stays a liveness probe.
            probes: { [READINESS_PATH]: readinessChecks(memory, disk) },
            probeTimeoutMs: PROBE_TIMEOUT_MS,
          }),
        }),
      ],
      controllers: [
        ItemsController,
        PasswordResetController,
        WorkController,
        ...(admin.length > 0 ? [adminController(admin)] : []),
      ],
      providers: [ItemsService],
    };
  }
}
