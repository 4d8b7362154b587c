import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { expect, it } from 'vitest';
import { withStatementCache } from '../src/statement-cache.js';

it('prepares each distinct statement once, evicts the least recently used, and survives schema changes', async () => {
  const sqlite = new BetterSqlite3(':memory:');
  let prepared = 0;
  const counting = new Proxy(sqlite, {
    get(target, property) {
      if (property === 'prepare') {
        return (text: string) => {
          prepared += 1;
          return target.prepare(text);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const db = new Kysely<{ item: { id: number; name: string; extra: string | null } }>({ dialect: new SqliteDialect({ database: withStatementCache(counting, 2) }) });
  await sql`CREATE TABLE item (id integer primary key, name text)`.execute(db);
  const before = prepared;
  for (let index = 0; index < 10; index += 1) await db.insertInto('item').values({ id: index, name: `n${index}` }).execute();
  expect(prepared - before).toBe(1);
  expect(await db.selectFrom('item').select('name').where('id', '=', 3).executeTakeFirst()).toEqual({ name: 'n3' });
  // A schema change under a cached statement: SQLite re-prepares it by itself.
  await sql`ALTER TABLE item ADD COLUMN extra text`.execute(db);
  await db.insertInto('item').values({ id: 20, name: 'after' }).execute();
  expect(await db.selectFrom('item').select(({ fn }) => fn.countAll<number>().as('count')).executeTakeFirst()).toEqual({ count: 11 });
  // Capacity 2: three alternating statements keep being re-prepared once evicted.
  const afterWarm = prepared;
  await db.selectFrom('item').select('id').execute();
  await db.selectFrom('item').select('name').execute();
  await db.selectFrom('item').select('extra').execute();
  await db.selectFrom('item').select('id').execute();
  expect(prepared - afterWarm).toBe(4);
  await db.destroy();
});
