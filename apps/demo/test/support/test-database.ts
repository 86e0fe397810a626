/**
 * The PostgreSQL database the demo's tests give the built demo: the one `scripts/postgres.sh`
 * creates (CI runs it before `npm test`); TEST_DATABASE_URL points them elsewhere. Tests that stop,
 * hang or lock out the database start a throwaway cluster of their own (throwaway-postgres.ts).
 */
import pg from 'pg';

export const TEST_DATABASE_URL =
  process.env['TEST_DATABASE_URL'] ?? 'postgres://upgate:upgate@127.0.0.1:5432/upgate_demo_test';

/** Fails with the command to run when the test database does not answer. */
export async function requireTestDatabase(url: string = TEST_DATABASE_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `the demo's tests need PostgreSQL at ${url.replace(/:[^:@/]*@/, '@')} (${(error as Error).message}); start it with \`bash scripts/postgres.sh\` as root (what CI does), or set TEST_DATABASE_URL`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops the catalogue's table, so that the next demo started creates and seeds it afresh (ids from 1). */
export async function resetCatalogue(url: string = TEST_DATABASE_URL): Promise<void> {
  await requireTestDatabase(url);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS items');
  } finally {
    await client.end();
  }
}
