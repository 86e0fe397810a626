import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type ConfigProblem, UpgateConfigError } from '@upgate/config';
import { AppModule } from './app.module.js';
import { databaseSettings } from './database/database-settings.js';
import { shutdownDelay } from './health/shutdown-delay.js';
import { startupLines } from './settings/startup-lines.js';
import { loadDemoSettings, type DemoSettings } from './settings/demo-settings.js';

async function bootstrap(): Promise<void> {
  const problems: ConfigProblem[] = [];
  let settings: DemoSettings | undefined;
  try {
    settings = loadDemoSettings();
  } catch (error) {
    if (!(error instanceof UpgateConfigError)) throw error;
    problems.push(...error.problems);
  }
  // The platform's part (DATABASE_URL, SHUTDOWN_DELAY_MS), reported with the rest in one go.
  const database = databaseSettings(process.env, problems);
  const shutdownDelayMs = shutdownDelay(process.env, problems);
  if (problems.length > 0 || settings === undefined || database === undefined || shutdownDelayMs === undefined) {
    // The settings' own words: each problem names the setting, the value and the form it should take.
    process.stderr.write(`upgate-demo: not starting.\n${new UpgateConfigError(problems).message}\n`);
    process.exit(1);
  }

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register(settings, { database, shutdownDelayMs }),
  );
  app.disable('x-powered-by');
  // SIGTERM (docker stop, after kamal-proxy drained the container) and SIGINT (Ctrl-C): Nest closes
  // the app, upgate turns the probes to 503 and closes idle keep-alive connections, in-flight
  // requests finish, then the process exits 0 (useProcessExit) rather than re-raising the signal.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(settings.port);

  const address = app.getHttpServer().address() as AddressInfo;
  const logger = new Logger('Demo');
  for (const line of startupLines(settings, address.port)) logger.log(line);
}

await bootstrap();
