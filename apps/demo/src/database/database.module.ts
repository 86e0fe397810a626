import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Database, DATABASE_SETTINGS } from './database.js';
import type { DatabaseSettings } from './database-settings.js';
import { PostgresHealthIndicator } from './postgres-health.indicator.js';

/** The PostgreSQL pool and its terminus indicator, for the settings read at start-up; global, as the pool is one per app. */
@Global()
@Module({})
export class DatabaseModule {
  static register(settings: DatabaseSettings): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TerminusModule],
      providers: [{ provide: DATABASE_SETTINGS, useValue: settings }, Database, PostgresHealthIndicator],
      exports: [Database, PostgresHealthIndicator],
    };
  }
}
