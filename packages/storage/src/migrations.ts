import { type Kysely, type Migration as KyselyMigration, Migrator, sql } from 'kysely';
import type { Database, DialectName } from './database.js';

/** One versioned schema change. Migrations run in the lexical order of their names. */
export interface Migration {
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

/**
 * Applies every pending migration of `component` (its own history table, so several
 * components can share one database). Throws, naming the migration, when one fails.
 */
export async function migrate(
  database: Database<unknown>,
  component: string,
  migrations: Record<string, Migration>,
): Promise<string[]> {
  const db = database.db as Kysely<unknown>;
  if (database.dialect === 'postgres' && database.schema) await ensureSchema(db, database.schema);
  // On PostgreSQL the history tables are looked up in this connection's own schema: the
  // migrator's existence check otherwise sees a same-named table in any other schema.
  const schema =
    database.dialect === 'postgres' ? (await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = () => new Migrator({
    db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    migrationTableName: `${component}_migrations`,
    migrationLockTableName: `${component}_migrations_lock`,
    provider: {
      getMigrations: async () =>
        Object.fromEntries(
          Object.entries(migrations).map(([name, migration]): [string, KyselyMigration] => [
            name,
            { up: (db) => migration.up(db, database.dialect) },
          ]),
        ),
    },
  });
  const { error, results } = await migrateToLatest(migrator, schema);
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} of ${component} failed: ${String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).map((result) => result.migrationName);
}

/** Creates the schema unless it exists; another process creating it at the same moment is fine. */
async function ensureSchema(db: Kysely<unknown>, schema: string): Promise<void> {
  try {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  }
}

const LISTING_RETRIES = 3;

/**
 * Runs the migrator, again when its table listing failed only because some other schema was
 * dropped while PostgreSQL checked the privileges on every schema in the database (SQLSTATE
 * 3F000 naming a schema that is not ours): nothing of ours was touched, so a retry is safe.
 */
async function migrateToLatest(migrator: () => Migrator, ownSchema: string | undefined) {
  for (let attempt = 1; ; attempt++) {
    const outcome = await migrator().migrateToLatest();
    if (attempt >= LISTING_RETRIES || !otherSchemaVanished(outcome.error, ownSchema)) return outcome;
  }
}

export function otherSchemaVanished(error: unknown, ownSchema: string | undefined): boolean {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== '3F000') return false;
  const named = /schema "([^"]+)" does not exist/.exec(error.message)?.[1];
  return named !== undefined && named !== ownSchema;
}

/** Column types that differ between the dialects. */
export function columnTypes(dialect: DialectName) {
  return {
    /** 64-bit integer, auto-incrementing primary key. */
    serialId: dialect === 'postgres' ? ('bigserial' as const) : ('integer' as const),
    bigint: dialect === 'postgres' ? ('bigint' as const) : ('integer' as const),
    double: dialect === 'postgres' ? ('double precision' as const) : ('real' as const),
  };
}
