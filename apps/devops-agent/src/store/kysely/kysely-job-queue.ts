import type { Kysely } from 'kysely';
import type { Job, NewJob } from '../agent-store.js';
import type { JobQueue } from '../job-queue.js';
import type { AgentTables } from '../schema.js';
import { writeJobs } from './rows.js';

/** {@link JobQueue} on SQLite or PostgreSQL. */
export class KyselyJobQueue implements JobQueue {
  constructor(private readonly db: Kysely<AgentTables>) {}

  async enqueue(jobs: NewJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.db.transaction().execute((trx) => writeJobs(trx, jobs, new Date().toISOString()));
  }

  async claim(now: string, limit: number): Promise<Job[]> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('jobs')
        .selectAll()
        .where('status', '=', 'queued')
        .where('run_at', '<=', now)
        .orderBy('run_at', 'asc')
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
      if (rows.length === 0) return [];
      await trx
        .updateTable('jobs')
        .set({ status: 'running', updated_at: now })
        .where(
          'id',
          'in',
          rows.map((row) => row.id),
        )
        .execute();
      return rows.map((row) => ({
        id: Number(row.id),
        type: row.type,
        payload: JSON.parse(row.payload) as Record<string, unknown>,
        attempts: Number(row.attempts),
        run_at: row.run_at,
      }));
    });
  }

  async finish(id: number): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ status: 'done', updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
  }

  async retry(id: number, runAt: string, error: string): Promise<void> {
    const row = await this.db.selectFrom('jobs').select('attempts').where('id', '=', id).executeTakeFirst();
    await this.db
      .updateTable('jobs')
      .set({ status: 'queued', run_at: runAt, attempts: Number(row?.attempts ?? 0) + 1, last_error: error.slice(0, 2000), updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async fail(id: number, error: string): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ status: 'failed', last_error: error.slice(0, 2000), updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async requeueRunning(): Promise<number> {
    const result = await this.db
      .updateTable('jobs')
      .set({ status: 'queued', updated_at: new Date().toISOString() })
      .where('status', '=', 'running')
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
}
