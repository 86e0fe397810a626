import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import type { DatabaseSettings } from './database-settings.js';

export const DATABASE_SETTINGS = Symbol('DATABASE_SETTINGS');

/**
 * How long one attempt may take, connecting or querying. Under the probe deadline (PROBE_TIMEOUT_MS,
 * 3 s), so that a hung database (a full disk, a SIGSTOPped server, a dropped network) releases the
 * readiness ping, and the request that waits for it, with an error of its own before the probe's
 * 503: upgate runs at most one ping at a time, and a ping without a timeout would hold /ready at 503
 * until the connection died.
 */
export const DATABASE_TIMEOUT_MS = 2000;

/**
 * The demo's PostgreSQL pool (node-postgres). Connections are opened on demand, so the app starts
 * whether or not the database is up: /up answers, /ready and /api/items answer 503 until it is.
 */
@Injectable()
export class Database implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  readonly pool: pg.Pool;

  constructor(@Inject(DATABASE_SETTINGS) readonly settings: DatabaseSettings) {
    this.pool = new pg.Pool({
      connectionString: settings.url,
      max: 10,
      connectionTimeoutMillis: DATABASE_TIMEOUT_MS,
      query_timeout: DATABASE_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      application_name: 'upgate-demo',
    });
    // An idle connection that breaks (the server restarted) is reported here; without a listener
    // the pool's 'error' event would crash the process. The pool replaces the connection.
    this.pool.on('error', (error) => this.logger.warn(`an idle connection failed: ${error.message}`));
  }

  query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>> {
    return this.pool.query<Row>(text, values);
  }

  /**
   * Here, not in onModuleDestroy or beforeApplicationShutdown: Nest calls those while the HTTP
   * server still finishes in-flight requests, which may need the pool; this runs after it closed.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
