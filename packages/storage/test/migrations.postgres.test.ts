import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { expect, it } from 'vitest';
import { openDatabase } from '../src/database.js';
import { migrate, otherSchemaVanished } from '../src/migrations.js';

/**
 * What the migrator's table listing throws when a schema is dropped while it runs: a
 * transaction whose snapshot predates the drop still lists the schema, and PostgreSQL's
 * privilege check then looks the name up in the current catalog.
 */
async function listingAcrossADrop(url: string, dropped: string): Promise<unknown> {
  // One connection, so every statement below runs inside the same transaction.
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await sql`BEGIN ISOLATION LEVEL REPEATABLE READ`.execute(db);
    await sql`SELECT count(*) FROM pg_catalog.pg_namespace`.execute(db);
    await admin.query(`DROP SCHEMA ${dropped} CASCADE`);
    const failure = await db.introspection.getTables().then(() => undefined, (error: unknown) => error);
    await sql`ROLLBACK`.execute(db);
    return failure;
  } finally {
    await admin.end();
    await db.destroy();
  }
}

describeWithComponent('PostgreSQL', await probePostgres(), 'start it with: pg_ctlcluster --skip-systemctl-redirect 15 main start', () => {
  it('a schema dropped during the listing is told apart from our own schema missing', async () => {
    const other = await createTestSchema('vanishing');
    const admin = new pg.Client({ connectionString: other.url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${other.schema}; CREATE TABLE ${other.schema}.listed (id integer)`);
    await admin.end();
    const failure = await listingAcrossADrop(other.url, other.schema);
    expect(failure).toMatchObject({ code: '3F000', message: `schema "${other.schema}" does not exist` });
    expect(otherSchemaVanished(failure, 'ours')).toBe(true);
    expect(otherSchemaVanished(failure, other.schema)).toBe(false);
    expect(otherSchemaVanished(new Error('connection refused'), 'ours')).toBe(false);
  });

  it('migrates into its own schema and records what it applied, once', async () => {
    const target = await createTestSchema('migrate_once');
    const database = openDatabase(target.url, { schema: target.schema, poolSize: 2 });
    const migrations = { '001_first': { up: async (db: Kysely<unknown>) => db.schema.createTable('first').addColumn('id', 'integer').execute() } };
    try {
      expect(await migrate(database, 'once', migrations)).toEqual(['001_first']);
      expect(await migrate(database, 'once', migrations)).toEqual([]);
    } finally {
      await database.close();
      await target.drop();
    }
  });

  it('four services opening the same new schema at once all migrate it, and it is applied once', async () => {
    const target = await createTestSchema('migrate_together');
    const databases = Array.from({ length: 4 }, () => openDatabase(target.url, { schema: target.schema, poolSize: 3 }));
    const migrations = { '001_first': { up: async (db: Kysely<unknown>) => db.schema.createTable('first').addColumn('id', 'integer').execute() } };
    try {
      const applied = await Promise.all(databases.map((database) => migrate(database, 'together', migrations)));
      expect(applied.flat()).toEqual(['001_first']);
      const { rows } = await sql<{ search_path: string }>`SHOW search_path`.execute(databases[3]!.db);
      expect(rows[0]?.search_path).toBe(target.schema);
    } finally {
      await Promise.all(databases.map((database) => database.close()));
      await target.drop();
    }
  });
});
