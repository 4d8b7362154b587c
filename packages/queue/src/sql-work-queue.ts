import { columnTypes, type Database, type Migration, migrate } from '@atb/storage';
import { type Kysely, type Selectable, sql } from 'kysely';
import {
  backoffDelay,
  type ClaimedJob,
  type DeadJob,
  type FailOutcome,
  type NewJob,
  type QueueCounts,
  resolveQueueOptions,
  type WorkQueue,
  type WorkQueueOptions,
} from './work-queue.js';

interface QueueTables {
  work_queue_jobs: {
    id: number;
    queue: string;
    type: string;
    payload: string;
    dedupe_key: string | null;
    /** waiting (due at run_at) | active (leased) | completed | dead */
    status: string;
    attempts: number;
    max_attempts: number;
    run_at: string;
    owner: string | null;
    lease_until: string | null;
    last_error: string | null;
    created_at: string;
    updated_at: string;
  };
}

type JobRow = Selectable<QueueTables['work_queue_jobs']>;

const migrations: Record<string, Migration> = {
  '001_jobs': {
    async up(db, dialect) {
      const types = columnTypes(dialect);
      await db.schema
        .createTable('work_queue_jobs')
        .addColumn('id', types.serialId, (column) =>
          dialect === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement(),
        )
        .addColumn('queue', 'text', (column) => column.notNull())
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('payload', 'text', (column) => column.notNull())
        .addColumn('dedupe_key', 'text')
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (column) => column.notNull())
        .addColumn('run_at', 'text', (column) => column.notNull())
        .addColumn('owner', 'text')
        .addColumn('lease_until', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('work_queue_jobs_due')
        .on('work_queue_jobs')
        .columns(['queue', 'status', 'run_at'])
        .execute();
      await db.schema
        .createIndex('work_queue_jobs_dedupe')
        .on('work_queue_jobs')
        .columns(['queue', 'dedupe_key'])
        .unique()
        .execute();
    },
  },
};

/**
 * The embedded work queue: one table on SQLite or PostgreSQL, several named queues in it.
 * Claims are one atomic statement: on PostgreSQL the candidate rows are locked with
 * `FOR UPDATE SKIP LOCKED`, so concurrent consumers take different jobs without waiting on
 * each other; SQLite serialises writers, so its `UPDATE … RETURNING` is atomic by itself.
 * Times are ISO strings (UTC, milliseconds), which order like the instants they name.
 */
export class SqlWorkQueue implements WorkQueue {
  private readonly options: Required<WorkQueueOptions>;

  private constructor(
    private readonly database: Database<QueueTables>,
    private readonly queue: string,
    options: WorkQueueOptions,
    private readonly ownsDatabase: boolean,
  ) {
    this.options = resolveQueueOptions(options);
  }

  /**
   * Migrates the database and opens the queue named `queue`. With `ownsDatabase` the
   * database is closed with the queue; by default it stays open for its other users.
   */
  static async open(
    database: Database<unknown>,
    queue: string,
    options: WorkQueueOptions & { ownsDatabase?: boolean } = {},
  ): Promise<SqlWorkQueue> {
    await migrate(database, 'work_queue', migrations);
    return new SqlWorkQueue(database as Database<QueueTables>, queue, options, options.ownsDatabase ?? false);
  }

  enqueue(job: NewJob): Promise<string> {
    return this.enqueueWithin(this.database.db, job);
  }

  /**
   * Enqueues through `executor` — the caller's transaction on this queue's database — so that the
   * job commits, or rolls back, together with the record that caused it.
   *
   * @example
   * await db.transaction().execute(async (trx) => {
   *   await trx.insertInto('incidents').values(incident).execute();
   *   await queue.enqueueWithin(trx, { type: 'analyze', payload: { incident_id: incident.id } });
   * });
   */
  async enqueueWithin<Schema>(executor: Kysely<Schema>, job: NewJob): Promise<string> {
    const db = executor as unknown as Kysely<QueueTables>;
    const now = new Date().toISOString();
    const values = {
      queue: this.queue,
      type: job.type,
      payload: JSON.stringify(job.payload),
      dedupe_key: job.dedupeKey ?? null,
      status: 'waiting',
      attempts: 0,
      max_attempts: this.options.maxAttempts,
      run_at: (job.runAt ?? new Date()).toISOString(),
      created_at: now,
      updated_at: now,
    };
    const inserted = await db
      .insertInto('work_queue_jobs')
      .values(values as never)
      .onConflict((conflict) => conflict.columns(['queue', 'dedupe_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return String(inserted.id);
    const existing = await db
      .selectFrom('work_queue_jobs')
      .select('id')
      .where('queue', '=', this.queue)
      .where('dedupe_key', '=', job.dedupeKey ?? '')
      .executeTakeFirstOrThrow();
    return String(existing.id);
  }

  async claim(owner: string, limit: number): Promise<ClaimedJob[]> {
    const now = new Date().toISOString();
    await this.deadLetterExhaustedLeases(now);
    let candidates = this.database.db
      .selectFrom('work_queue_jobs')
      .select('id')
      .where('queue', '=', this.queue)
      .where((where) =>
        where.or([
          where.and([where('status', '=', 'waiting'), where('run_at', '<=', now)]),
          where.and([where('status', '=', 'active'), where('lease_until', '<', now)]),
        ]),
      )
      .orderBy('run_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit);
    if (this.database.dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
    const rows = await this.database.db
      .updateTable('work_queue_jobs')
      .set({
        status: 'active',
        owner,
        lease_until: this.leaseUntil(),
        attempts: sql<number>`attempts + 1`,
        updated_at: now,
      })
      .where('id', 'in', candidates)
      .returningAll()
      .execute();
    return rows.sort(dueFirst).map(toClaimed);
  }

  /** Jobs whose holder's lease ran out on their last attempt become dead letters, not redeliveries. */
  private async deadLetterExhaustedLeases(now: string): Promise<void> {
    await this.database.db
      .updateTable('work_queue_jobs')
      .set({
        status: 'dead',
        owner: null,
        lease_until: null,
        last_error: sql<string>`coalesce(last_error, 'the lease ran out on the last attempt')`,
        updated_at: now,
      })
      .where('queue', '=', this.queue)
      .where('status', '=', 'active')
      .where('lease_until', '<', now)
      .where('attempts', '>=', sql<number>`max_attempts`)
      .execute();
  }

  async renew(jobId: string, owner: string): Promise<boolean> {
    const result = await this.database.db
      .updateTable('work_queue_jobs')
      .set({ lease_until: this.leaseUntil() })
      .where('id', '=', Number(jobId))
      .where('status', '=', 'active')
      .where('owner', '=', owner)
      .where('lease_until', '>=', new Date().toISOString())
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  get leaseMs(): number {
    return this.options.leaseMs;
  }

  async release(jobId: string, owner: string): Promise<boolean> {
    const now = new Date().toISOString();
    const result = await this.database.db
      .updateTable('work_queue_jobs')
      .set({ status: 'waiting', run_at: now, owner: null, lease_until: null, updated_at: now })
      .where('id', '=', Number(jobId))
      .where('status', '=', 'active')
      .where('owner', '=', owner)
      .where('lease_until', '>=', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async complete(jobId: string, owner: string): Promise<boolean> {
    const now = new Date().toISOString();
    const result = await this.database.db
      .updateTable('work_queue_jobs')
      .set({ status: 'completed', owner: null, lease_until: null, updated_at: now })
      .where('id', '=', Number(jobId))
      .where('status', '=', 'active')
      .where('owner', '=', owner)
      .where('lease_until', '>=', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async fail(jobId: string, owner: string, error: string, options: { retry?: boolean } = {}): Promise<FailOutcome> {
    const now = new Date();
    const held = await this.database.db
      .selectFrom('work_queue_jobs')
      .select(['attempts', 'max_attempts'])
      .where('id', '=', Number(jobId))
      .where('status', '=', 'active')
      .where('owner', '=', owner)
      .where('lease_until', '>=', now.toISOString())
      .executeTakeFirst();
    if (!held) return 'lease-lost';
    const retry = options.retry !== false && held.attempts < held.max_attempts;
    const runAt = new Date(now.getTime() + backoffDelay(held.attempts, this.options));
    const result = await this.database.db
      .updateTable('work_queue_jobs')
      .set({
        status: retry ? 'waiting' : 'dead',
        run_at: retry ? runAt.toISOString() : sql<string>`run_at`,
        owner: null,
        lease_until: null,
        last_error: error,
        updated_at: now.toISOString(),
      })
      .where('id', '=', Number(jobId))
      .where('status', '=', 'active')
      .where('owner', '=', owner)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return 'lease-lost';
    return retry ? 'retry-scheduled' : 'dead-lettered';
  }

  async counts(): Promise<QueueCounts> {
    const rows = await this.database.db
      .selectFrom('work_queue_jobs')
      .select((select) => ['status', select.fn.countAll<number>().as('count')])
      .where('queue', '=', this.queue)
      .groupBy('status')
      .execute();
    const delayed = await this.database.db
      .selectFrom('work_queue_jobs')
      .select((select) => select.fn.countAll<number>().as('count'))
      .where('queue', '=', this.queue)
      .where('status', '=', 'waiting')
      .where('run_at', '>', new Date().toISOString())
      .executeTakeFirstOrThrow();
    const counts: QueueCounts = { waiting: 0, delayed: Number(delayed.count), active: 0, completed: 0, dead: 0 };
    for (const row of rows) {
      const status = row.status as keyof QueueCounts;
      if (status in counts) counts[status] += Number(row.count);
    }
    counts.waiting -= counts.delayed;
    return counts;
  }

  async listDead(limit = 100): Promise<DeadJob[]> {
    const rows = await this.database.db
      .selectFrom('work_queue_jobs')
      .selectAll()
      .where('queue', '=', this.queue)
      .where('status', '=', 'dead')
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: String(row.id),
      type: row.type,
      payload: JSON.parse(row.payload) as Record<string, unknown>,
      attempts: row.attempts,
      error: row.last_error ?? '',
      failed_at: row.updated_at,
    }));
  }

  async close(): Promise<void> {
    if (this.ownsDatabase) await this.database.close();
  }

  private leaseUntil(): string {
    return new Date(Date.now() + this.options.leaseMs).toISOString();
  }
}

function dueFirst(left: JobRow, right: JobRow): number {
  if (left.run_at !== right.run_at) return left.run_at < right.run_at ? -1 : 1;
  return Number(left.id) - Number(right.id);
}

function toClaimed(row: JobRow): ClaimedJob {
  return {
    id: String(row.id),
    type: row.type,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    attempt: row.attempts,
    ...(row.dedupe_key === null ? {} : { dedupeKey: row.dedupe_key }),
  };
}
