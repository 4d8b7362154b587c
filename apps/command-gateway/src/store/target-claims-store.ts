import { columnTypes, type Database, type Migration, migrate } from '@atb/storage';
import { sql } from 'kysely';

interface TargetTables {
  gateway_target_locks: {
    target: string;
    owner: string;
    request_id: string;
    /** Epoch ms after which the lock is free again (its holder died or hung). */
    lease_until: number;
  };
  gateway_rate_events: {
    id: number;
    /** `operation` space `target` (a target name never holds a space). */
    window_key: string;
    request_id: string;
    at_ms: number;
  };
}

const migrations: Record<string, Migration> = {
  '001_target_claims': {
    async up(db, dialect) {
      const types = columnTypes(dialect);
      await db.schema
        .createTable('gateway_target_locks')
        .addColumn('target', 'text', (column) => column.primaryKey())
        .addColumn('owner', 'text', (column) => column.notNull())
        .addColumn('request_id', 'text', (column) => column.notNull())
        .addColumn('lease_until', types.bigint, (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('gateway_rate_events')
        .addColumn('id', types.serialId, (column) =>
          dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement(),
        )
        .addColumn('window_key', 'text', (column) => column.notNull())
        .addColumn('request_id', 'text', (column) => column.notNull())
        .addColumn('at_ms', types.bigint, (column) => column.notNull())
        .execute();
      await db.schema.createIndex('gateway_rate_events_window').on('gateway_rate_events').columns(['window_key', 'at_ms']).execute();
    },
  },
};

export type RateAdmission = { admitted: true } | { admitted: false; count: number; oldestMs: number };

/**
 * The per-target facts every gateway replica sharing the database must agree on: which request
 * holds a target's one mutating slot (a unique row per target, with a lease so that a dead
 * replica's lock frees itself), and the operations counted in the rate-limit windows. The
 * policy — what the limits are, what to answer — stays in `TargetGuard`.
 */
export class TargetClaimsStore {
  private constructor(private readonly database: Database<TargetTables>) {}

  static async open(database: Database<unknown>): Promise<TargetClaimsStore> {
    await migrate(database, 'gateway_targets', migrations);
    return new TargetClaimsStore(database as Database<TargetTables>);
  }

  /**
   * Takes the target's lock for `requestId`: true when it was free, its holder's lease ran out, or
   * it is held for this same request (a replica taking over a dead one's request before anything
   * was executed).
   */
  async lockTarget(target: string, owner: string, requestId: string, leaseUntilMs: number, nowMs: number): Promise<boolean> {
    const result = await this.database.db
      .insertInto('gateway_target_locks')
      .values({ target, owner, request_id: requestId, lease_until: leaseUntilMs })
      .onConflict((conflict) =>
        conflict
          .column('target')
          .doUpdateSet({ owner, request_id: requestId, lease_until: leaseUntilMs })
          .where((where) => where.or([where('gateway_target_locks.lease_until', '<', nowMs), where('gateway_target_locks.request_id', '=', requestId)])),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Frees the target, if `requestId` still holds it. */
  async unlockTarget(target: string, requestId: string): Promise<void> {
    await this.database.db
      .deleteFrom('gateway_target_locks')
      .where('target', '=', target)
      .where('request_id', '=', requestId)
      .execute();
  }

  /**
   * Counts one operation in the window `(windowStartMs, nowMs]` of `windowKey` unless `max` are
   * counted there already. Check and count are one transaction, serialised per window (an
   * advisory lock on PostgreSQL; SQLite's single writer), so replicas never both take the
   * last slot.
   */
  async countWithinLimit(windowKey: string, requestId: string, nowMs: number, windowStartMs: number, max: number): Promise<RateAdmission> {
    const dialect = this.database.dialect;
    return this.database.db.transaction().execute(async (trx) => {
      if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(hashtext(${windowKey}))`.execute(trx);
      // Writing first takes SQLite's write lock at once, so the count below is serialised there too.
      await trx.deleteFrom('gateway_rate_events').where('window_key', '=', windowKey).where('at_ms', '<=', windowStartMs).execute();
      const recent = await trx
        .selectFrom('gateway_rate_events')
        .select((select) => [select.fn.countAll<number>().as('count'), select.fn.min('at_ms').as('oldest')])
        .where('window_key', '=', windowKey)
        .where('at_ms', '>', windowStartMs)
        .executeTakeFirstOrThrow();
      // The same request counted already (a replica that died before executing it): it is not counted twice.
      const counted = await trx.selectFrom('gateway_rate_events').select('id').where('window_key', '=', windowKey).where('request_id', '=', requestId).executeTakeFirst();
      if (counted) return { admitted: true };
      const count = Number(recent.count);
      if (count >= max) return { admitted: false, count, oldestMs: Number(recent.oldest) };
      await trx.insertInto('gateway_rate_events').values({ window_key: windowKey, request_id: requestId, at_ms: nowMs } as never).execute();
      return { admitted: true };
    });
  }

  /** Operations counted in the window `(windowStartMs, now]` of `windowKey`, and the oldest of them; counts nothing. */
  async countInWindow(windowKey: string, windowStartMs: number): Promise<{ count: number; oldestMs: number | null }> {
    const row = await this.database.db
      .selectFrom('gateway_rate_events')
      .select((select) => [select.fn.countAll<number>().as('count'), select.fn.min('at_ms').as('oldest')])
      .where('window_key', '=', windowKey)
      .where('at_ms', '>', windowStartMs)
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), oldestMs: row.oldest === null ? null : Number(row.oldest) };
  }
}
