import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type ConfigProblem, UpgateConfigError } from '@upgate/config';
import { getSettingsResolutionToken, type HealthSettingsResolution } from '@upgate/health';
import { AppModule } from './app.module.js';
import { databaseSettings, UNCONFIGURED_DATABASE } from './database/database-settings.js';
import { shutdownDelay } from './health/shutdown-delay.js';
import { DEFAULT_PORT, demoDeployFile } from './settings/demo-settings.js';
import { startupLines } from './settings/startup-lines.js';

async function bootstrap(): Promise<void> {
  const deployFile = demoDeployFile();
  // The platform's part (DATABASE_URL, SHUTDOWN_DELAY_MS), reported with upgate's problems in one go.
  const problems: ConfigProblem[] = [];
  const database = databaseSettings(process.env, problems);
  const shutdownDelayMs = shutdownDelay(process.env, problems);
  let app: NestExpressApplication | undefined;
  try {
    // Nest's lines wait until the settings are known to be good: bad ones print their reason alone.
    // Nest is created even when the platform's settings are wrong, so that upgate's problems are
    // listed with theirs; it is never started then, and the pool connects only when first used.
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.register(deployFile, {
        database: database ?? UNCONFIGURED_DATABASE,
        shutdownDelayMs: shutdownDelayMs ?? 0,
      }),
      { bufferLogs: true, autoFlushLogs: false, abortOnError: false },
    );
  } catch (error) {
    if (!(error instanceof UpgateConfigError)) {
      Logger.flush();
      throw error;
    }
    problems.unshift(...error.problems);
  }
  if (problems.length > 0 || app === undefined) {
    // The settings' own words: each problem names the setting, the value and the form it should take.
    process.stderr.write(`upgate-demo: not starting.\n${new UpgateConfigError(problems).message}\n`);
    process.exit(1);
  }
  app.flushLogs();
  app.disable('x-powered-by');
  // SIGTERM (docker stop, after kamal-proxy drained the container) and SIGINT (Ctrl-C): Nest closes
  // the app, upgate turns the probes to 503 and closes idle keep-alive connections, in-flight
  // requests finish, then the process exits 0 (useProcessExit) rather than re-raising the signal.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  // The port upgate resolved (PORT, or proxy.app_port of the deploy file), so that it cannot differ.
  const resolution = app.get<HealthSettingsResolution>(getSettingsResolutionToken());
  await app.listen(resolution.settings?.port ?? DEFAULT_PORT);

  const address = app.getHttpServer().address() as AddressInfo;
  const logger = new Logger('Demo');
  for (const line of startupLines(resolution, address.port)) logger.log(line);
}

await bootstrap();
