import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * A SQLite connection for Kysely that keeps the most recently used prepared statements.
 * Kysely prepares every query anew; preparing costs as much as running a small insert, and a
 * service issues the same few dozen statements over and over. Statements are reused one at a
 * time (Kysely runs one query at a time on its single SQLite connection), and SQLite re-prepares
 * a cached statement by itself after a schema change.
 */
export function withStatementCache(database: BetterSqlite3.Database, capacity = 256): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare: (sql) => {
      const cached = cache.get(sql);
      if (cached) {
        // Most recently used last, so the first key is the one to evict.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql) as unknown as SqliteStatement;
      cache.set(sql, statement);
      if (cache.size > capacity) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return statement;
    },
  };
}
