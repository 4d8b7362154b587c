import type { WorkQueue } from '@atb/queue';
import type { Job, NewJob } from '../store/agent-store.js';
import type { DeadJob, JobQueue } from '../store/job-queue.js';

/**
 * The work queue's attempts for a worker that runs a job at most `jobMaxAttempts` times: one
 * delivery more, so that a job whose holder died on its last attempt is delivered once again and
 * the worker gives it up with its failure hook, instead of the work queue failing it unseen.
 */
export function relayAttempts(jobMaxAttempts: number): number {
  return jobMaxAttempts + 1;
}

/** Jobs moved from the table to the work queue per poll, at most. */
const RELAY_BATCH = 100;

/**
 * The agent's jobs run from a shared {@link WorkQueue} (BullMQ on Redis), while the `jobs` table
 * stays their outbox: a job is still written in the same transaction as the change that causes
 * it. Every claim first relays the table's due jobs to the work queue — under the table's lease,
 * enqueued with the job's id as the dedupe key, so a relay that dies half-way and is redone never
 * enqueues a job twice — then claims from the work queue, whose lease, heartbeats, backoff and
 * dead letters apply from there on. Delayed jobs wait in the table until due.
 */
export class RelayedJobQueue implements JobQueue {
  /** Table job id → work-queue job id, for the jobs this process holds. */
  private readonly held = new Map<number, string>();

  constructor(
    private readonly outbox: JobQueue,
    private readonly work: WorkQueue,
  ) {}

  enqueue(jobs: NewJob[]): Promise<void> {
    return this.outbox.enqueue(jobs);
  }

  async claim(owner: string, now: string, limit: number, leaseMs: number): Promise<Job[]> {
    const relay = `relay:${owner}`;
    for (const job of await this.outbox.claim(relay, now, RELAY_BATCH, leaseMs)) {
      await this.work.enqueue({ type: job.type, payload: { job_id: job.id, payload: job.payload, run_at: job.run_at }, dedupeKey: `job-${job.id}` });
      await this.outbox.handOver(job.id, relay);
    }
    const claimed = await this.work.claim(owner, limit);
    return claimed.map((job) => {
      const id = Number(job.payload.job_id);
      this.held.set(id, job.id);
      return { id, type: job.type, payload: job.payload.payload as Record<string, unknown>, attempts: job.attempt - 1, run_at: String(job.payload.run_at) };
    });
  }

  renew(id: number, owner: string): Promise<boolean> {
    const workId = this.held.get(id);
    return workId ? this.work.renew(workId, owner) : Promise.resolve(false);
  }

  async finish(id: number, owner: string): Promise<boolean> {
    return this.settle(id, (workId) => this.work.complete(workId, owner));
  }

  /** The work queue schedules the retry with its own backoff (`runAt` is the table's notion). */
  async retry(id: number, owner: string, _runAt: string, error: string): Promise<boolean> {
    return this.settle(id, async (workId) => (await this.work.fail(workId, owner, error)) !== 'lease-lost');
  }

  async fail(id: number, owner: string, error: string): Promise<boolean> {
    return this.settle(id, async (workId) => (await this.work.fail(workId, owner, error, { retry: false })) !== 'lease-lost');
  }

  handOver(): Promise<boolean> {
    return Promise.resolve(false);
  }

  private async settle(id: number, step: (workId: string) => Promise<boolean>): Promise<boolean> {
    const workId = this.held.get(id);
    if (!workId) return false;
    this.held.delete(id);
    return step(workId);
  }

  async release(owner: string): Promise<number> {
    let released = 0;
    for (const [id, workId] of [...this.held]) {
      this.held.delete(id);
      if (await this.work.release(workId, owner)) released += 1;
    }
    return released + (await this.outbox.release(`relay:${owner}`));
  }

  /** The table's states (`relayed` = handed to the work queue) and the work queue's, prefixed `queue_`. */
  async countByStatus(): Promise<Record<string, number>> {
    const [table, work] = await Promise.all([this.outbox.countByStatus(), this.work.counts()]);
    return { ...table, ...Object.fromEntries(Object.entries(work).map(([state, count]) => [`queue_${state}`, count])) };
  }

  async listDead(limit = 20): Promise<DeadJob[]> {
    const [table, work] = await Promise.all([this.outbox.listDead(limit), this.work.listDead(limit)]);
    const relayed = work.map((job) => ({
      id: Number(job.payload.job_id),
      type: job.type,
      payload: job.payload.payload as Record<string, unknown>,
      attempts: job.attempts,
      error: job.error,
      failed_at: job.failed_at,
    }));
    return [...relayed, ...table].sort((left, right) => (left.failed_at < right.failed_at ? 1 : -1)).slice(0, limit);
  }

  close(): Promise<void> {
    return this.work.close();
  }
}
