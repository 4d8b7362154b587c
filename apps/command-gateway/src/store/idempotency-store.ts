import type { ExecuteCommandResponse } from '@atb/contracts';
import { type Database, type Migration, migrate } from '@atb/storage';
import type { ExpressionBuilder } from 'kysely';

interface IdempotencyTables {
  gateway_idempotency: {
    source_id: string;
    idempotency_key: string;
    request_hash: string;
    request_id: string;
    state: string;
    response: string | null;
    created_at: string;
    /** The gateway replica running the request (pending claims). */
    owner: string | null;
    /** ISO time the owner's claim runs out unless renewed. */
    lease_until: string | null;
    /** ISO time the owner was about to hand the operation to the runtime (null: nothing was executed). */
    dispatched_at: string | null;
    /** The operation and target handed to the runtime, as JSON (`{ operation, target }`). */
    dispatched_plan: string | null;
  };
}

const migrations: Record<string, Migration> = {
  '001_gateway_idempotency': {
    async up(db) {
      await db.schema
        .createTable('gateway_idempotency')
        .addColumn('source_id', 'text', (column) => column.notNull())
        .addColumn('idempotency_key', 'text', (column) => column.notNull())
        .addColumn('request_hash', 'text', (column) => column.notNull())
        .addColumn('request_id', 'text', (column) => column.notNull())
        .addColumn('state', 'text', (column) => column.notNull())
        .addColumn('response', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('gateway_idempotency_pk', ['source_id', 'idempotency_key'])
        .execute();
    },
  },
  '002_claim_owner_lease': {
    async up(db) {
      await db.schema.alterTable('gateway_idempotency').addColumn('owner', 'text').execute();
      await db.schema.alterTable('gateway_idempotency').addColumn('lease_until', 'text').execute();
    },
  },
  '003_claim_dispatch': {
    async up(db) {
      await db.schema.alterTable('gateway_idempotency').addColumn('dispatched_at', 'text').execute();
      await db.schema.alterTable('gateway_idempotency').addColumn('dispatched_plan', 'text').execute();
    },
  },
};

/** A pending claim whose lease ran out before `now` (or, from before leases, was made before it). */
function expiredBefore(now: string) {
  return (where: ExpressionBuilder<IdempotencyTables, 'gateway_idempotency'>) =>
    where.or([where('lease_until', '<', now), where.and([where('lease_until', 'is', null), where('created_at', '<', now)])]);
}

/** The pending claim on `key` of `sourceId` that `owner` holds. */
function ownPending(sourceId: string, key: string, owner: string) {
  return (where: ExpressionBuilder<IdempotencyTables, 'gateway_idempotency'>) =>
    where.and([where('source_id', '=', sourceId), where('idempotency_key', '=', key), where('state', '=', 'pending'), where('owner', '=', owner)]);
}

/** What a claim's owner handed to the runtime, and when. */
export interface Dispatch {
  at: string;
  operation: string;
  target: string;
}

export type StoredRequest =
  | { state: 'pending'; requestHash: string; requestId: string; owner?: string; leaseUntil?: string; dispatch?: Dispatch }
  | { state: 'done'; requestHash: string; requestId: string; response: ExecuteCommandResponse };

/**
 * Remembers, per `(source_id, idempotency_key)`, the first request's response, so that a retry
 * returns it instead of executing again — also after the gateway restarts. A key is claimed
 * (`pending`) before anything executes, by an owner (the gateway replica) under a lease the owner
 * renews while the request runs, and marked dispatched just before the operation reaches the
 * runtime. A claim whose lease ran out belongs to a replica that died mid-request; what becomes
 * of it (taken over, confirmed, "outcome unknown") is `IdempotentCommands`' rule. A live
 * replica's claim is left alone, so several gateways can share one database.
 */
export class IdempotencyStore {
  private constructor(private readonly database: Database<IdempotencyTables>) {}

  static async open(database: Database<unknown>): Promise<IdempotencyStore> {
    await migrate(database, 'gateway', migrations);
    return new IdempotencyStore(database as Database<IdempotencyTables>);
  }

  async find(sourceId: string, key: string): Promise<StoredRequest | undefined> {
    const row = await this.database.db
      .selectFrom('gateway_idempotency')
      .selectAll()
      .where('source_id', '=', sourceId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.state === 'done' && row.response !== null) {
      return {
        state: 'done',
        requestHash: row.request_hash,
        requestId: row.request_id,
        response: JSON.parse(row.response) as ExecuteCommandResponse,
      };
    }
    return {
      state: 'pending',
      requestHash: row.request_hash,
      requestId: row.request_id,
      ...(row.owner === null ? {} : { owner: row.owner }),
      ...(row.lease_until === null ? {} : { leaseUntil: row.lease_until }),
      ...(row.dispatched_at === null ? {} : { dispatch: { at: row.dispatched_at, ...(JSON.parse(row.dispatched_plan ?? '{}') as { operation: string; target: string }) } }),
    };
  }

  /** Claims the key for `owner` until `leaseUntil`; false when another request (or replica) holds it already. */
  async claim(sourceId: string, key: string, requestHash: string, requestId: string, owner: string, leaseUntil: Date): Promise<boolean> {
    const result = await this.database.db
      .insertInto('gateway_idempotency')
      .values({
        source_id: sourceId,
        idempotency_key: key,
        request_hash: requestHash,
        request_id: requestId,
        state: 'pending',
        response: null,
        created_at: new Date().toISOString(),
        owner,
        lease_until: leaseUntil.toISOString(),
      })
      .onConflict((conflict) => conflict.columns(['source_id', 'idempotency_key']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Extends `owner`'s lease on its pending claim; false when the claim is no longer its own and pending. */
  async renew(sourceId: string, key: string, owner: string, leaseUntil: Date): Promise<boolean> {
    const result = await this.database.db
      .updateTable('gateway_idempotency')
      .set({ lease_until: leaseUntil.toISOString() })
      .where(ownPending(sourceId, key, owner))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async complete(sourceId: string, key: string, response: ExecuteCommandResponse): Promise<void> {
    await this.database.db
      .updateTable('gateway_idempotency')
      .set({ state: 'done', response: JSON.stringify(response), owner: null, lease_until: null })
      .where('source_id', '=', sourceId)
      .where('idempotency_key', '=', key)
      .execute();
  }

  /** Gives `owner`'s claim back when nothing was executed (the request failed before execution). */
  async release(sourceId: string, key: string, owner: string): Promise<void> {
    await this.database.db
      .deleteFrom('gateway_idempotency')
      .where(ownPending(sourceId, key, owner))
      .execute();
  }

  /**
   * Marks `owner`'s pending claim as handed to the runtime now, with the operation and target;
   * false when the claim is no longer its own (its lease ran out and another replica took it).
   */
  async markDispatched(sourceId: string, key: string, owner: string, plan: { operation: string; target: string }): Promise<boolean> {
    const result = await this.database.db
      .updateTable('gateway_idempotency')
      .set({ dispatched_at: new Date().toISOString(), dispatched_plan: JSON.stringify({ operation: plan.operation, target: plan.target }) })
      .where(ownPending(sourceId, key, owner))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Makes an expired claim `owner`'s, until `leaseUntil`: false when it is no longer expired (a
   * late renewal won), is settled, or was dispatched and `dispatched` is not `'too'`.
   */
  async takeOver(sourceId: string, key: string, owner: string, leaseUntil: Date, now: Date, dispatched: 'too' | 'not' = 'not'): Promise<boolean> {
    let query = this.database.db
      .updateTable('gateway_idempotency')
      .set({ owner, lease_until: leaseUntil.toISOString() })
      .where('source_id', '=', sourceId)
      .where('idempotency_key', '=', key)
      .where('state', '=', 'pending')
      .where(expiredBefore(now.toISOString()));
    if (dispatched === 'not') query = query.where('dispatched_at', 'is', null);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The pending claims whose lease ran out before `now` (a claim from before leases counts as expired); only the key `only` names, when given. */
  async expired(now: Date, only?: { sourceId: string; key: string }): Promise<(StoredRequest & { state: 'pending'; sourceId: string; key: string })[]> {
    let query = this.database.db
      .selectFrom('gateway_idempotency')
      .select(['source_id', 'idempotency_key'])
      .where('state', '=', 'pending')
      .where(expiredBefore(now.toISOString()));
    if (only) query = query.where('source_id', '=', only.sourceId).where('idempotency_key', '=', only.key);
    const claims = [];
    for (const row of await query.execute()) {
      const stored = await this.find(row.source_id, row.idempotency_key);
      if (stored?.state === 'pending') claims.push({ ...stored, sourceId: row.source_id, key: row.idempotency_key });
    }
    return claims;
  }

  /** Settles an expired claim with `response`, if it is still pending and expired at `now` (a late renewal by a live owner wins); true when it did. */
  async closeExpired(sourceId: string, key: string, response: ExecuteCommandResponse, now: Date): Promise<boolean> {
    const result = await this.database.db
      .updateTable('gateway_idempotency')
      .set({ state: 'done', response: JSON.stringify(response), owner: null, lease_until: null })
      .where('source_id', '=', sourceId)
      .where('idempotency_key', '=', key)
      .where('state', '=', 'pending')
      .where(expiredBefore(now.toISOString()))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
