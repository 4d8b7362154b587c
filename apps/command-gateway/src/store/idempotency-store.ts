import type { ExecuteCommandResponse } from '@atb/contracts';
import { type Database, type Migration, migrate } from '@atb/storage';

interface IdempotencyTables {
  gateway_idempotency: {
    source_id: string;
    idempotency_key: string;
    request_hash: string;
    request_id: string;
    state: string;
    response: string | null;
    created_at: string;
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
};

export type StoredRequest =
  | { state: 'pending'; requestHash: string; requestId: string }
  | { state: 'done'; requestHash: string; requestId: string; response: ExecuteCommandResponse };

/**
 * Remembers, per `(source_id, idempotency_key)`, the first request's response, so that a retry
 * returns it instead of executing again — also after the gateway restarts. A key is claimed
 * (`pending`) before anything executes; a claim left pending by a crash is never re-executed.
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
    return { state: 'pending', requestHash: row.request_hash, requestId: row.request_id };
  }

  /** Claims the key; false when another request (or another replica) holds it already. */
  async claim(sourceId: string, key: string, requestHash: string, requestId: string): Promise<boolean> {
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
      })
      .onConflict((conflict) => conflict.columns(['source_id', 'idempotency_key']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async complete(sourceId: string, key: string, response: ExecuteCommandResponse): Promise<void> {
    await this.database.db
      .updateTable('gateway_idempotency')
      .set({ state: 'done', response: JSON.stringify(response) })
      .where('source_id', '=', sourceId)
      .where('idempotency_key', '=', key)
      .execute();
  }

  /** Gives a claim back when nothing was executed (the request failed before execution). */
  async release(sourceId: string, key: string): Promise<void> {
    await this.database.db
      .deleteFrom('gateway_idempotency')
      .where('source_id', '=', sourceId)
      .where('idempotency_key', '=', key)
      .where('state', '=', 'pending')
      .execute();
  }

  /**
   * Closes claims left pending by a gateway that stopped mid-request: their outcome is unknown,
   * so a retry gets an `error` answer saying so and the operation is never run a second time.
   */
  async closeInterrupted(before: Date): Promise<number> {
    const rows = await this.database.db
      .selectFrom('gateway_idempotency')
      .select(['source_id', 'idempotency_key', 'request_id'])
      .where('state', '=', 'pending')
      .where('created_at', '<', before.toISOString())
      .execute();
    for (const row of rows) {
      const response: ExecuteCommandResponse = {
        request_id: row.request_id,
        timestamp_processed_utc: new Date().toISOString(),
        overall_status: 'error',
        execution_details: {
          command: '',
          execution_result: `request ${row.request_id} was interrupted by a gateway restart; its outcome is unknown and it is not executed again`,
          execution_time_ms: 0,
        },
      };
      await this.complete(row.source_id, row.idempotency_key, response);
    }
    return rows.length;
  }
}
