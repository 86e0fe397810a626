import { type DynamicModule, Module } from '@nestjs/common';
import { DiskHealthIndicator, MemoryHealthIndicator, TerminusModule } from '@nestjs/terminus';
import { HealthModule } from '@upgate/health';
import { adminController } from './admin/admin-controller.factory.js';
import { PROBE_TIMEOUT_MS, readinessChecks } from './health/readiness.js';
import { ItemsController } from './items/items.controller.js';
import { ItemsService } from './items/items.service.js';
import { PasswordResetController } from './password-reset/password-reset.controller.js';
import { READINESS_PATH, type DemoSettings } from './settings/demo-settings.js';
import { DEMO_SETTINGS } from './settings/demo-settings.token.js';
import { WorkController } from './work/work.controller.js';

@Module({})
export class AppModule {
  /** The app for these settings (loaded in main.ts before Nest starts, so that bad ones stop it with the reason). */
  static register(settings: DemoSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TerminusModule,
        HealthModule.forRootAsync({
          imports: [TerminusModule],
          inject: [MemoryHealthIndicator, DiskHealthIndicator],
          useFactory: (memory: MemoryHealthIndicator, disk: DiskHealthIndicator) => ({
            ...settings.upgate,
            probes: {
              ...Object.fromEntries(settings.livenessPaths.map((path) => [path, []])),
              [READINESS_PATH]: readinessChecks(memory, disk),
            },
            probeTimeoutMs: PROBE_TIMEOUT_MS,
          }),
        }),
      ],
      controllers: [
        ItemsController,
        PasswordResetController,
        WorkController,
        ...(settings.adminHosts.length > 0 ? [adminController(settings.adminHosts)] : []),
      ],
      providers: [ItemsService, { provide: DEMO_SETTINGS, useValue: settings }],
    };
  }
}
