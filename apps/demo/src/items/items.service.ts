import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { Database } from '../database/database.js';
import { DEVELOPMENT_DATABASE_COMMAND } from '../database/database-settings.js';
import type { Item, NewItem } from './item.js';

/** The first items of an empty catalogue. */
const SEED: readonly NewItem[] = [
  { name: 'Kettle', priceCents: 2900 },
  { name: 'Teapot', priceCents: 3400 },
  { name: 'Tea towel', priceCents: 900 },
];

/** Serialises schema set-up across containers (two run side by side during a deploy). */
const SCHEMA_LOCK = 0x7570_6761; // "upga"

interface ItemRow {
  id: number;
  name: string;
  price_cents: number;
}

/**
 * The catalogue, in PostgreSQL. Its table is created (and seeded when empty) by `ensureSchema()`,
 * the demo's startup check, which the app runs as soon as it listens and again until it passes;
 * every query waits for it too, so the API works as soon as the database does, whenever that is.
 * A database that cannot be reached makes the API answer 503, not 500.
 */
@Injectable()
export class ItemsService {
  private readonly logger = new Logger('Catalogue');
  private schema: Promise<void> | undefined;
  private unreachableSaid = false;

  constructor(private readonly database: Database) {}

  /** Creates the table and seeds it, once per process; retried on the next call after a failure. */
  ensureSchema(): Promise<void> {
    this.schema ??= this.createSchema().then(
      () =>
        this.logger.log(`catalogue ready in ${this.database.settings.shown} (from ${this.database.settings.origin})`),
      (error: unknown) => {
        this.schema = undefined;
        this.sayUnreachable(error);
        throw error;
      },
    );
    return this.schema;
  }

  async list(): Promise<Item[]> {
    const { rows } = await this.run<ItemRow>('SELECT id, name, price_cents FROM items ORDER BY id');
    return rows.map(toItem);
  }

  async find(id: number): Promise<Item | undefined> {
    if (!isRowId(id)) return undefined;
    const { rows } = await this.run<ItemRow>('SELECT id, name, price_cents FROM items WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : toItem(rows[0]);
  }

  async create(item: NewItem): Promise<Item> {
    const { rows } = await this.run<ItemRow>(
      'INSERT INTO items (name, price_cents) VALUES ($1, $2) RETURNING id, name, price_cents',
      [item.name, item.priceCents],
    );
    return toItem(rows[0] as ItemRow);
  }

  async remove(id: number): Promise<boolean> {
    if (!isRowId(id)) return false;
    const { rowCount } = await this.run('DELETE FROM items WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async count(): Promise<number> {
    const { rows } = await this.run<{ count: string }>('SELECT count(*) FROM items');
    return Number(rows[0]?.count ?? 0);
  }

  private async run<Row extends object>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }> {
    try {
      await this.ensureSchema();
      return await this.database.query<Row & Record<string, unknown>>(text, values);
    } catch (error) {
      // A database that is down, hung or refusing us: the request may succeed later, elsewhere.
      throw new ServiceUnavailableException('the catalogue is unavailable: its database cannot be reached', {
        cause: error,
      });
    }
  }

  private async createSchema(): Promise<void> {
    const client = await this.database.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS items (
           id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
           name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
           price_cents integer NOT NULL CHECK (price_cents >= 0)
         )`,
      );
      const { rows } = await client.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM items) AS any');
      if (rows[0]?.any !== true) {
        for (const item of SEED) {
          await client.query('INSERT INTO items (name, price_cents) VALUES ($1, $2)', [item.name, item.priceCents]);
        }
      }
      await client.query('COMMIT');
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed mid-transaction is dropped, not returned to the pool.
      client.release(failure);
    }
  }

  /** Once per process, in development with the default database: how to start one. */
  private sayUnreachable(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.unreachableSaid) return;
    this.unreachableSaid = true;
    const hint =
      this.database.settings.origin === 'development default'
        ? `; start it with: ${DEVELOPMENT_DATABASE_COMMAND} (or, on Debian as root: bash scripts/postgres.sh)`
        : '';
    this.logger.warn(
      `the catalogue's database ${this.database.settings.shown} cannot be reached (${message}): /api/items, /ready and /startup answer 503 until it can${hint}`,
    );
  }
}

/** An id the table can hold (a PostgreSQL integer); any other is simply not there. */
function isRowId(id: number): boolean {
  return Number.isInteger(id) && id >= 1 && id <= 2_147_483_647;
}

function toItem(row: ItemRow): Item {
  return { id: row.id, name: row.name, priceCents: row.price_cents };
}
