/**
 * The demo created in this process, as main.ts creates it, with exactly the environment a test
 * gives: what upgate resolved for it, and what it warned of. Nest is created, never started, so no
 * database is needed.
 */
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getSettingsResolutionToken, type HealthSettingsResolution } from '@upgate/health';
import { AppModule } from '../../src/app.module.js';
import { DEVELOPMENT_DATABASE_URL, withoutPassword } from '../../src/database/database-settings.js';
import { adminHosts, demoDeployFile } from '../../src/settings/demo-settings.js';

/** The variables the demo and upgate read; each test sets exactly the ones it names. */
const VARIABLES = [
  'NODE_ENV',
  'ALLOWED_HOSTS',
  'HEALTH_PROBE_PATHS',
  'PORT',
  'TRUST_PROXY',
  'HOST_REJECT_STATUS',
  'DEPLOY_FILE',
  'KAMAL_DESTINATION',
];

/** Keeps upgate's warnings; Nest's own lines are dropped. */
class WarningLog implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {
    return undefined;
  }
  error(): void {
    return undefined;
  }
  warn(message: unknown, context?: unknown): void {
    if (context === 'upgate') this.warnings.push(String(message));
  }
}

export interface Started {
  readonly resolution: HealthSettingsResolution;
  readonly warnings: readonly string[];
  readonly admin: readonly string[];
}

/** Creates the demo app in this process with exactly `env`, as main.ts does, and reads what it resolved. */
export async function startWith(env: Record<string, string>): Promise<Started> {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  const logger = new WarningLog();
  try {
    const deployFile = demoDeployFile();
    const platform = {
      database: { url: DEVELOPMENT_DATABASE_URL, shown: withoutPassword(DEVELOPMENT_DATABASE_URL), origin: 'test' },
      shutdownDelayMs: 0,
    };
    const app = await NestFactory.create(AppModule.register(deployFile, platform), { logger, abortOnError: false });
    const resolution = app.get<HealthSettingsResolution>(getSettingsResolutionToken());
    await app.close();
    return { resolution, warnings: logger.warnings, admin: adminHosts(deployFile) };
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
