/** A job to enqueue. */
export interface NewJob {
  /** What kind of work it is; the consumer picks its handler by it. */
  type: string;
  /** JSON-serialisable input of the handler. */
  payload: Record<string, unknown>;
  /**
   * A job whose key was already used in this queue is not enqueued again: the first one's id is
   * answered. Keys are kept as long as the job's record is (finished and dead jobs included).
   */
  dedupeKey?: string;
  /** Not delivered before this moment (a delayed job). Default: now. */
  runAt?: Date;
}

/** A delivered job, held under a lease by the consumer that claimed it. */
export interface ClaimedJob {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  /** 1 on the first delivery, 2 on the first redelivery (after a failure or a lost lease), … */
  attempt: number;
  dedupeKey?: string;
}

/** A job that used up its attempts (or failed for good): kept for inspection, never run again. */
export interface DeadJob {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  attempts: number;
  /** The last failure's message. */
  error: string;
  /** ISO timestamp of the move to the dead letters. */
  failed_at: string;
}

/** Jobs per state, for dashboards and `/status`. */
export interface QueueCounts {
  /** Due and not claimed. */
  waiting: number;
  /** Scheduled for later: delayed jobs and retries waiting out their backoff. */
  delayed: number;
  /** Claimed under a lease. */
  active: number;
  /** Finished. */
  completed: number;
  /** Dead letters. */
  dead: number;
}

/** What a failure did to the job. */
export type FailOutcome = 'retry-scheduled' | 'dead-lettered' | 'lease-lost';

/**
 * A durable work queue with at-least-once delivery. A consumer claims jobs under a lease and
 * renews it while it works (a heartbeat); a consumer that stops renewing (it died, hung or
 * lost the network) loses the job when the lease runs out, and another consumer gets it
 * again. Handlers must therefore be idempotent. A failed job is retried after an exponential
 * backoff; after `maxAttempts` deliveries it becomes a dead letter.
 *
 * Once its lease ran out a consumer can no longer renew, complete or fail the job, even when
 * nobody else has claimed it yet: the answer says so, and the consumer stops working on it.
 *
 * Implementations: `SqlWorkQueue` (SQLite or PostgreSQL, the embedded default) and
 * `BullMqWorkQueue` (Redis). One contract suite runs against both.
 */
export interface WorkQueue {
  /** How long a claim lasts without renewal, in ms: consumers renew well within it (every third). */
  readonly leaseMs: number;
  /** Adds a job and answers its id (the existing job's id for a repeated `dedupeKey`). */
  enqueue(job: NewJob): Promise<string>;
  /** Claims up to `limit` due jobs for `owner` (oldest due first); never a job another live lease holds. */
  claim(owner: string, limit: number): Promise<ClaimedJob[]>;
  /** Extends `owner`'s lease on the job; false when the lease was lost. */
  renew(jobId: string, owner: string): Promise<boolean>;
  /**
   * Gives the job back before its lease ends (an orderly shutdown): due again at once, for any
   * consumer. The delivery still counts as an attempt. False when the lease was lost.
   */
  release(jobId: string, owner: string): Promise<boolean>;
  /** Finishes the job; false when the lease was lost (the job will be delivered again). */
  complete(jobId: string, owner: string): Promise<boolean>;
  /**
   * Records a failure: the job is retried after a backoff, or becomes a dead letter after its
   * last attempt or when `retry` is false (a failure that no retry can fix).
   */
  fail(jobId: string, owner: string, error: string, options?: { retry?: boolean }): Promise<FailOutcome>;
  counts(): Promise<QueueCounts>;
  /** Dead letters, newest first. */
  listDead(limit?: number): Promise<DeadJob[]>;
  close(): Promise<void>;
}

/** Settings every implementation shares. */
export interface WorkQueueOptions {
  /** How long a claim lasts without renewal, in ms. Default 30 000. */
  leaseMs?: number;
  /** Deliveries of a job before it becomes a dead letter. Default 5. */
  maxAttempts?: number;
  /** Backoff before the first retry, in ms; doubled for every further retry. Default 1 000. */
  backoffMs?: number;
  /** Upper bound of the backoff, in ms. Default 300 000. */
  maxBackoffMs?: number;
}

export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 1_000;
export const DEFAULT_MAX_BACKOFF_MS = 300_000;

/** The options with every default filled in. */
export function resolveQueueOptions(options: WorkQueueOptions = {}): Required<WorkQueueOptions> {
  return {
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    backoffMs: options.backoffMs ?? DEFAULT_BACKOFF_MS,
    maxBackoffMs: options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
  };
}

/**
 * The wait before the retry that follows failed attempt number `attempt` (1-based):
 * `backoffMs × 2^(attempt − 1)`, at most `maxBackoffMs`.
 *
 * @example backoffDelay(3, { backoffMs: 1000, maxBackoffMs: 60_000 }) // 4000
 */
export function backoffDelay(attempt: number, options: { backoffMs: number; maxBackoffMs: number }): number {
  return Math.min(options.maxBackoffMs, options.backoffMs * 2 ** Math.max(0, attempt - 1));
}
