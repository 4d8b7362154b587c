import type { Job, NewJob } from './agent-store.js';

/** A job that failed for good (its last attempt, or a failure no retry can fix): kept for humans. */
export interface DeadJob {
  id: number;
  type: string;
  payload: Record<string, unknown>;
  /** Deliveries of the job, the last one (that gave up) included. */
  attempts: number;
  error: string;
  failed_at: string;
}

/**
 * The durable work queue (the `jobs` table), shared by every replica on the same database.
 * Delivery is at least once: a replica claims jobs under a lease for `owner` and renews it while
 * it works; a replica that dies stops renewing, and once its lease has run out any replica claims
 * the job again. A lease that ran out is final for its former holder: renew, finish, retry and
 * fail answer false and change nothing. Handlers must therefore be idempotent.
 */
export interface JobQueue {
  /** A job whose `dedupe_key` was used before is not enqueued again. */
  enqueue(jobs: NewJob[]): Promise<void>;
  /**
   * Leases to `owner` for `leaseMs` up to `limit` jobs: queued ones due at `now` and running ones
   * whose holder's lease ran out (each such redelivery counts as an attempt). Oldest due first;
   * never a job another live lease holds.
   */
  claim(owner: string, now: string, limit: number, leaseMs: number): Promise<Job[]>;
  /**
   * When a job next becomes claimable: the earliest `run_at` of a queued job or lease end of a
   * running one; undefined when none waits. A queue without it is polled at the worker's base interval.
   */
  nextDueAt?(): Promise<string | undefined>;
  /** Extends `owner`'s lease to `leaseMs` from now; false when the lease was lost. */
  renew(id: number, owner: string, leaseMs: number): Promise<boolean>;
  /** Finishes the job; false when the lease was lost. */
  finish(id: number, owner: string): Promise<boolean>;
  /** Queues the job again at `runAt`, one more attempt counted; false when the lease was lost. */
  retry(id: number, owner: string, runAt: string, error: string): Promise<boolean>;
  /** Moves the job to the dead letters (`failed`), this delivery counted as an attempt; false when the lease was lost. */
  fail(id: number, owner: string, error: string): Promise<boolean>;
  /** The job now runs elsewhere (relayed to another queue): it leaves `owner`'s hands as `relayed`; false when the lease was lost. */
  handOver(id: number, owner: string): Promise<boolean>;
  /** An orderly shutdown: `owner`'s running jobs are due again at once, for any replica. Returns how many. */
  release(owner: string): Promise<number>;
  countByStatus(): Promise<Record<string, number>>;
  /** Dead letters, newest first. */
  listDead(limit?: number): Promise<DeadJob[]>;
}
