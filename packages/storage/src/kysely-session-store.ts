import type { PrincipalKind, Role, SessionOrigin, SessionStore, StoredSession } from '@atb/service-kit';
import type { Database } from './database.js';
import { type Migration, migrate } from './migrations.js';

interface SessionTable {
  dashboard_sessions: {
    id_hash: string;
    principal_id: string;
    principal_name: string;
    principal_kind: string;
    principal_role: string;
    origin: string;
    csrf_token: string;
    created_at: string;
    expires_at: string;
  };
}

const migrations: Record<string, Migration> = {
  '001_dashboard_sessions': {
    async up(db) {
      await db.schema
        .createTable('dashboard_sessions')
        .addColumn('id_hash', 'text', (column) => column.primaryKey())
        .addColumn('principal_id', 'text', (column) => column.notNull())
        .addColumn('principal_name', 'text', (column) => column.notNull())
        .addColumn('principal_kind', 'text', (column) => column.notNull())
        .addColumn('principal_role', 'text', (column) => column.notNull())
        .addColumn('origin', 'text', (column) => column.notNull())
        .addColumn('csrf_token', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('dashboard_sessions_expires_at').on('dashboard_sessions').column('expires_at').execute();
    },
  },
};

/** Browser sessions (id hashes only) in the `dashboard_sessions` table, on SQLite or PostgreSQL. */
export class KyselySessionStore implements SessionStore {
  private constructor(private readonly database: Database<SessionTable>) {}

  static async open(database: Database<unknown>): Promise<KyselySessionStore> {
    await migrate(database, 'dashboard_sessions', migrations);
    return new KyselySessionStore(database as Database<SessionTable>);
  }

  async insert(session: StoredSession): Promise<void> {
    const { principal, ...rest } = session;
    await this.database.db
      .insertInto('dashboard_sessions')
      .values({ ...rest, principal_id: principal.id, principal_name: principal.name, principal_kind: principal.kind, principal_role: principal.role })
      .execute();
  }

  async find(idHash: string): Promise<StoredSession | undefined> {
    const row = await this.database.db.selectFrom('dashboard_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    if (!row) return undefined;
    return {
      id_hash: row.id_hash,
      principal: { id: row.principal_id, name: row.principal_name, kind: row.principal_kind as PrincipalKind, role: row.principal_role as Role },
      origin: row.origin as SessionOrigin,
      csrf_token: row.csrf_token,
      created_at: row.created_at,
      expires_at: row.expires_at,
    };
  }

  async delete(idHash: string): Promise<void> {
    await this.database.db.deleteFrom('dashboard_sessions').where('id_hash', '=', idHash).execute();
  }

  async deleteExpired(at: string): Promise<number> {
    const result = await this.database.db.deleteFrom('dashboard_sessions').where('expires_at', '<', at).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
