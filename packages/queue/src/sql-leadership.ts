import { type Database, type Migration, migrate } from '@atb/storage';
import { sql } from 'kysely';
import { DEFAULT_LEADER_LEASE_MS, type LeaderLease, type Leadership } from './leadership.js';

interface LeaseTables {
  leader_leases: { key: string; owner: string; token: number; lease_until: string };
}

const migrations: Record<string, Migration> = {
  '001_leases': {
    async up(db) {
      await db.schema
        .createTable('leader_leases')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('owner', 'text', (column) => column.notNull())
        .addColumn('token', 'bigint', (column) => column.notNull())
        .addColumn('lease_until', 'text', (column) => column.notNull())
        .execute();
    },
  },
};

/** Rows in one upsert: four parameters each, well under SQLite's and PostgreSQL's limits. */
const ROWS_PER_STATEMENT = 500;

/**
 * {@link Leadership} as a lease table on SQLite or PostgreSQL. Taking or renewing keys is one
 * multi-row upsert whose update applies only when the caller holds the key or its lease ran out; the row's
 * lock makes concurrent attempts queue, so exactly one of them wins. Times are ISO strings (UTC).
 */
export class SqlLeadership implements Leadership {
  private constructor(
    private readonly database: Database<LeaseTables>,
    readonly leaseMs: number,
  ) {}

  static async open(database: Database<unknown>, options: { leaseMs?: number } = {}): Promise<SqlLeadership> {
    await migrate(database, 'leadership', migrations);
    return new SqlLeadership(database as Database<LeaseTables>, options.leaseMs ?? DEFAULT_LEADER_LEASE_MS);
  }

  async acquire(keys: readonly string[], owner: string): Promise<LeaderLease[]> {
    // Sorted and unique: one row once per statement, and every replica locks rows in one order.
    const unique = [...new Set(keys)].sort();
    const leases: LeaderLease[] = [];
    for (let start = 0; start < unique.length; start += ROWS_PER_STATEMENT) {
      leases.push(...(await this.upsert(unique.slice(start, start + ROWS_PER_STATEMENT), owner)));
    }
    return leases;
  }

  /** One upsert for many keys: each row is taken or renewed only when free or already `owner`'s. */
  private async upsert(keys: string[], owner: string): Promise<LeaderLease[]> {
    const now = new Date();
    const until = new Date(now.getTime() + this.leaseMs).toISOString();
    const rows = await this.database.db
      .insertInto('leader_leases')
      .values(keys.map((key) => ({ key, owner, token: 1, lease_until: until })))
      .onConflict((conflict) =>
        conflict
          .column('key')
          .doUpdateSet({
            owner,
            lease_until: until,
            token: sql<number>`case when leader_leases.owner = ${owner} then leader_leases.token else leader_leases.token + 1 end`,
          })
          .where((where) => where.or([where('leader_leases.owner', '=', owner), where('leader_leases.lease_until', '<', now.toISOString())])),
      )
      .returning(['key', 'owner', 'token'])
      .execute();
    return rows.map((row) => ({ key: row.key, owner: row.owner, token: Number(row.token) }));
  }

  async release(key: string, owner: string): Promise<void> {
    // The row stays (its token keeps counting); the lease is simply over.
    await this.database.db
      .updateTable('leader_leases')
      .set({ lease_until: new Date(0).toISOString() })
      .where('key', '=', key)
      .where('owner', '=', owner)
      .execute();
  }

  async leader(key: string): Promise<LeaderLease | undefined> {
    const row = await this.database.db
      .selectFrom('leader_leases')
      .select(['key', 'owner', 'token'])
      .where('key', '=', key)
      .where('lease_until', '>=', new Date().toISOString())
      .executeTakeFirst();
    return row ? { key: row.key, owner: row.owner, token: Number(row.token) } : undefined;
  }

  async close(): Promise<void> {}
}
