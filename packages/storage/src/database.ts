import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { withStatementCache } from './statement-cache.js';

export type DialectName = 'sqlite' | 'postgres';

/** An open database: a Kysely instance that speaks SQLite or PostgreSQL, and how to close it. */
export interface Database<Schema> {
  db: Kysely<Schema>;
  dialect: DialectName;
  /** Where it lives, with any password masked; for logs and /status. */
  location: string;
  /** PostgreSQL only: the schema holding this service's tables, when one was given. */
  schema?: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL only: keep this service's tables in their own schema (created by `migrate` if missing). */
  schema?: string;
  /** PostgreSQL only: pool size. Default 10. */
  poolSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens `url`: `postgres://…`/`postgresql://…` for PostgreSQL, anything else is a SQLite file
 * path (optionally `sqlite:` prefixed; `:memory:` for tests). SQLite runs in WAL mode with a
 * busy timeout, so a committed write survives a crash of the process.
 */
export function openDatabase<Schema>(url: string, options: OpenDatabaseOptions = {}): Database<Schema> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const schema = options.schema;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new Error(`invalid PostgreSQL schema name "${schema}": expected lowercase letters, digits and _`);
    }
    // Every connection starts with the schema as its search path; `migrate` creates the schema.
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      dialect: 'postgres',
      ...(schema ? { schema } : {}),
      location: url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@') + (schema ? ` (schema ${schema})` : ''),
      close: () => db.destroy(),
    };
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', location: file, close: () => db.destroy() };
}
