import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL the tests use; `TEST_DATABASE_URL` overrides the machine's default. */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `undefined` when PostgreSQL answers, otherwise why not. */
export async function probePostgres(url = TEST_POSTGRES_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh schema for one test file, dropped afterwards, so parallel runs never collide. */
export async function createTestSchema(prefix: string, url = TEST_POSTGRES_URL) {
  const schema = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  return {
    url,
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A fresh database for one test, dropped afterwards (with every connection to it): for services
 * whose schema name is fixed, so that parallel runs never share their tables.
 */
export async function createTestDatabase(prefix: string, url = TEST_POSTGRES_URL) {
  const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const database = new URL(url);
  database.pathname = `/${name}`;
  return {
    url: database.toString(),
    name,
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
