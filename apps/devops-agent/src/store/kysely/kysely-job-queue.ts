import type { DialectName } from '@atb/storage';
import { type Kysely, sql } from 'kysely';
import type { Job, NewJob } from '../agent-store.js';
import type { DeadJob, JobQueue } from '../job-queue.js';
import type { AgentTables } from '../schema.js';
import { writeJobs } from './rows.js';

const later = (ms: number) => new Date(Date.now() + ms).toISOString();

/**
 * {@link JobQueue} on SQLite or PostgreSQL. A claim is one `UPDATE … WHERE id IN (SELECT …)`:
 * on PostgreSQL the candidates are locked with `FOR UPDATE SKIP LOCKED`, so replicas claiming at
 * once take different jobs without waiting on each other; SQLite serialises writers, so the
 * statement is atomic by itself. Times are ISO strings (UTC), which order like their instants.
 */
export class KyselyJobQueue implements JobQueue {
  constructor(
    private readonly db: Kysely<AgentTables>,
    private readonly dialect: DialectName,
  ) {}

  async enqueue(jobs: NewJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.db.transaction().execute((trx) => writeJobs(trx, jobs, new Date().toISOString()));
  }

  async claim(owner: string, now: string, limit: number, leaseMs: number): Promise<Job[]> {
    let candidates = this.db
      .selectFrom('jobs')
      .select('id')
      .where((where) =>
        where.or([
          where.and([where('status', '=', 'queued'), where('run_at', '<=', now)]),
          where.and([where('status', '=', 'running'), where('lease_until', '<', now)]),
        ]),
      )
      .orderBy('run_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit);
    if (this.dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
    const rows = await this.db
      .updateTable('jobs')
      .set({
        // A redelivery after a lost lease counts as an attempt, so a job that kills its holder ends in the dead letters.
        attempts: sql<number>`case when status = 'running' then attempts + 1 else attempts end`,
        status: 'running',
        owner,
        lease_until: later(leaseMs),
        updated_at: now,
      })
      .where('id', 'in', candidates)
      .returningAll()
      .execute();
    return rows
      .map((row) => ({
        id: Number(row.id),
        type: row.type,
        payload: JSON.parse(row.payload) as Record<string, unknown>,
        attempts: Number(row.attempts),
        run_at: row.run_at,
      }))
      .sort((left, right) => (left.run_at === right.run_at ? left.id - right.id : left.run_at < right.run_at ? -1 : 1));
  }

  async nextDueAt(): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('jobs')
      .select(sql<string | null>`min(case when status = 'queued' then run_at else lease_until end)`.as('due'))
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return row?.due ?? undefined;
  }

  async renew(id: number, owner: string, leaseMs: number): Promise<boolean> {
    return this.updateHeld(id, owner, { lease_until: later(leaseMs) });
  }

  async finish(id: number, owner: string): Promise<boolean> {
    return this.updateHeld(id, owner, { status: 'done', owner: null, lease_until: null });
  }

  async retry(id: number, owner: string, runAt: string, error: string): Promise<boolean> {
    return this.updateHeld(id, owner, {
      status: 'queued',
      run_at: runAt,
      attempts: sql<number>`attempts + 1`,
      owner: null,
      lease_until: null,
      last_error: error.slice(0, 2000),
    });
  }

  async fail(id: number, owner: string, error: string): Promise<boolean> {
    // The delivery that gave up counts: a dead letter's attempts are its deliveries, as on BullMQ.
    return this.updateHeld(id, owner, { status: 'failed', attempts: sql<number>`attempts + 1`, owner: null, lease_until: null, last_error: error.slice(0, 2000) });
  }

  async handOver(id: number, owner: string): Promise<boolean> {
    return this.updateHeld(id, owner, { status: 'relayed', owner: null, lease_until: null });
  }

  /** Applies `patch` to the job only while `owner` holds a live lease on it. */
  private async updateHeld(id: number, owner: string, patch: Record<string, unknown>): Promise<boolean> {
    const now = new Date().toISOString();
    const result = await this.db
      .updateTable('jobs')
      .set({ ...patch, updated_at: now } as never)
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('owner', '=', owner)
      .where('lease_until', '>=', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async release(owner: string): Promise<number> {
    const now = new Date().toISOString();
    const result = await this.db
      .updateTable('jobs')
      .set({ status: 'queued', run_at: now, owner: null, lease_until: null, updated_at: now })
      .where('status', '=', 'running')
      .where('owner', '=', owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['status', (builder) => builder.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  }

  async listDead(limit = 20): Promise<DeadJob[]> {
    const rows = await this.db.selectFrom('jobs').selectAll().where('status', '=', 'failed').orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((row) => ({
      id: Number(row.id),
      type: row.type,
      payload: JSON.parse(row.payload) as Record<string, unknown>,
      attempts: Number(row.attempts),
      error: row.last_error ?? '',
      failed_at: row.updated_at,
    }));
  }
}
