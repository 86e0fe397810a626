import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { Database } from './database.js';

/**
 * terminus indicator for the demo's PostgreSQL: one `SELECT 1` through the app's own pool, so it
 * sees what requests see (pool exhausted, connection refused, wrong password, a hung server). Built
 * on terminus' HealthIndicatorService rather than TypeOrmHealthIndicator: the demo talks to
 * PostgreSQL with `pg` alone, and an ORM only for its ping would be a dozen dependencies more.
 */
@Injectable()
export class PostgresHealthIndicator {
  constructor(
    private readonly database: Database,
    private readonly health: HealthIndicatorService,
  ) {}

  /** Up when the ping returns within the pool's timeouts; down with the driver's message otherwise. */
  async pingCheck<Key extends string>(key: Key): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.health.check(key);
    try {
      await this.database.query('SELECT 1');
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
