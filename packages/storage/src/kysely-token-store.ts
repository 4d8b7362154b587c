import type { StoredToken, TokenRecord, TokenStore } from '@atb/service-kit';
import type { Database } from './database.js';
import { type Migration, migrate } from './migrations.js';

interface TokenTable {
  api_tokens: {
    id: string;
    name: string;
    kind: string;
    role: string;
    hash: string;
    created_at: string;
    expires_at: string | null;
    revoked_at: string | null;
  };
}

const migrations: Record<string, Migration> = {
  '001_api_tokens': {
    async up(db) {
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('role', 'text', (column) => column.notNull())
        .addColumn('hash', 'text', (column) => column.notNull().unique())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('api_tokens_name').on('api_tokens').column('name').execute();
    },
  },
};

type Row = TokenTable['api_tokens'];

function recordOf(row: Row): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as TokenRecord['kind'],
    role: row.role as TokenRecord['role'],
    created_at: row.created_at,
    expires_at: row.expires_at,
    revoked_at: row.revoked_at,
  };
}

/** API tokens (hashes only) in the `api_tokens` table, on SQLite or PostgreSQL. */
export class KyselyTokenStore implements TokenStore {
  private constructor(private readonly database: Database<TokenTable>) {}

  static async open(database: Database<unknown>): Promise<KyselyTokenStore> {
    await migrate(database, 'api_tokens', migrations);
    return new KyselyTokenStore(database as Database<TokenTable>);
  }

  async insert(token: StoredToken): Promise<void> {
    await this.database.db.insertInto('api_tokens').values(token).execute();
  }

  async find(id: string): Promise<StoredToken | undefined> {
    const row = await this.database.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { ...recordOf(row), hash: row.hash } : undefined;
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.database.db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(recordOf);
  }

  async revoke(reference: string, at: string): Promise<TokenRecord[]> {
    const rows = await this.database.db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('revoked_at', 'is', null)
      .where((where) => where.or([where('id', '=', reference), where('name', '=', reference)]))
      .returningAll()
      .execute();
    return rows.map(recordOf).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }
}
