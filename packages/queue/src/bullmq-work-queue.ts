// BullMQ and ioredis load when a queue is opened, not when the package is imported: a service on
// the SQL queue (the default) does not pay their start-up cost (~0.3 s of CPU).
import type { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
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

export interface BullMqWorkQueueOptions extends WorkQueueOptions {
  /** `redis://…` (the service's `REDIS_URL`). */
  url: string;
  /** The queue's name. */
  queue: string;
  /** Prefix of every Redis key (BullMQ's default is `bull`); tests use one of their own. */
  prefix?: string;
}

interface JobData {
  type: string;
  payload: Record<string, unknown>;
  dedupeKey?: string;
}

/** BullMQ refuses `:` in custom ids: a dedupe key becomes an id made of its hex code. */
function dedupeJobId(key: string): string {
  return `dedupe-${Buffer.from(key, 'utf8').toString('hex')}`;
}

function isLockError(error: unknown): boolean {
  return error instanceof Error && /lock/i.test(error.message);
}

/**
 * The work queue on Redis with BullMQ, for several replicas sharing the work. Consumers fetch
 * jobs themselves (BullMQ's manual processing): the lease is BullMQ's job lock (`leaseMs` is its
 * `lockDuration`), a renewal extends it, and BullMQ's stalled-job check — run by every open queue
 * — puts a job whose lock ran out back in the wait list. A job stalled on its last attempt is
 * failed by BullMQ: BullMQ's failed set is the dead-letter list. Retries wait `backoffDelay`.
 */
export class BullMqWorkQueue implements WorkQueue {
  private readonly claimed = new Map<string, Job<JobData>>();

  private constructor(
    private readonly queue: Queue<JobData>,
    private readonly worker: Worker<JobData>,
    private readonly connections: Redis[],
    private readonly options: Required<WorkQueueOptions>,
  ) {}

  /** Connects to Redis and starts the stalled-job check. */
  static async open(options: BullMqWorkQueueOptions): Promise<BullMqWorkQueue> {
    const resolved = resolveQueueOptions(options);
    const [{ Queue, Worker }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
    // BullMQ requires unlimited retries per request on the connections its workers use.
    const queueConnection = new Redis(options.url, { maxRetriesPerRequest: null });
    const workerConnection = new Redis(options.url, { maxRetriesPerRequest: null });
    const prefix = options.prefix === undefined ? {} : { prefix: options.prefix };
    const queue = new Queue<JobData>(options.queue, { connection: queueConnection, ...prefix });
    const worker = new Worker<JobData>(options.queue, null, {
      connection: workerConnection,
      ...prefix,
      autorun: false,
      lockDuration: resolved.leaseMs,
      stalledInterval: Math.max(50, Math.floor(resolved.leaseMs / 2)),
      maxStalledCount: Math.max(0, resolved.maxAttempts - 1),
      settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade, resolved) },
    });
    worker.on('error', () => {}); // a failed stalled check is retried on the next interval
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
    await worker.startStalledCheckTimer();
    return new BullMqWorkQueue(queue, worker, [queueConnection, workerConnection], resolved);
  }

  async enqueue(job: NewJob): Promise<string> {
    const delay = job.runAt ? Math.max(0, job.runAt.getTime() - Date.now()) : 0;
    const data: JobData = {
      type: job.type,
      payload: job.payload,
      ...(job.dedupeKey === undefined ? {} : { dedupeKey: job.dedupeKey }),
    };
    const added = await this.queue.add(job.type, data, {
      attempts: this.options.maxAttempts,
      backoff: { type: 'work-queue' },
      delay,
      ...(job.dedupeKey === undefined ? {} : { jobId: dedupeJobId(job.dedupeKey) }),
    });
    return String(added.id);
  }

  async claim(owner: string, limit: number): Promise<ClaimedJob[]> {
    const jobs: ClaimedJob[] = [];
    while (jobs.length < limit) {
      const job = await this.worker.getNextJob(owner, { block: false });
      if (!job?.id) break;
      this.claimed.set(job.id, job);
      jobs.push({
        id: job.id,
        type: job.data.type,
        payload: job.data.payload,
        attempt: Math.max(1, job.attemptsStarted),
        ...(job.data.dedupeKey === undefined ? {} : { dedupeKey: job.data.dedupeKey }),
      });
    }
    return jobs;
  }

  async renew(jobId: string, owner: string): Promise<boolean> {
    const job = await this.held(jobId);
    if (!job) return false;
    const extended = await job.extendLock(owner, this.options.leaseMs);
    if (Number(extended) === 1) return true;
    this.claimed.delete(jobId);
    return false;
  }

  get leaseMs(): number {
    return this.options.leaseMs;
  }

  async release(jobId: string, owner: string): Promise<boolean> {
    const job = await this.held(jobId);
    if (!job) return false;
    try {
      await job.moveToWait(owner);
      return true;
    } catch (error) {
      if (isLockError(error)) return false;
      throw error;
    } finally {
      this.claimed.delete(jobId);
    }
  }

  async complete(jobId: string, owner: string): Promise<boolean> {
    const job = await this.held(jobId);
    if (!job) return false;
    try {
      await job.moveToCompleted(null, owner, false);
      return true;
    } catch (error) {
      if (isLockError(error)) return false;
      throw error;
    } finally {
      this.claimed.delete(jobId);
    }
  }

  async fail(jobId: string, owner: string, error: string, options: { retry?: boolean } = {}): Promise<FailOutcome> {
    const job = await this.held(jobId);
    if (!job) return 'lease-lost';
    if (options.retry === false) job.discard();
    try {
      await job.moveToFailed(new Error(error), owner, false);
    } catch (failure) {
      if (isLockError(failure)) return 'lease-lost';
      throw failure;
    } finally {
      this.claimed.delete(jobId);
    }
    return (await job.getState()) === 'failed' ? 'dead-lettered' : 'retry-scheduled';
  }

  async counts(): Promise<QueueCounts> {
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      delayed: counts.delayed ?? 0,
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      dead: counts.failed ?? 0,
    };
  }

  async listDead(limit = 100): Promise<DeadJob[]> {
    const jobs = (await this.queue.getFailed(0, Math.max(0, limit - 1))) as Job<JobData>[];
    return jobs.map((job) => ({
      id: String(job.id),
      type: job.data.type,
      payload: job.data.payload,
      attempts: job.attemptsStarted,
      error: job.failedReason ?? '',
      failed_at: new Date(job.finishedOn ?? job.timestamp).toISOString(),
    }));
  }

  async close(): Promise<void> {
    // Forced: jobs are fetched by hand, so there is no processor to wait for.
    await this.worker.close(true);
    await this.queue.close();
    await Promise.all(this.connections.map((connection) => connection.quit().catch(() => {})));
  }

  /** The job as this process claimed it, or as stored when another instance of it claimed it. */
  private async held(jobId: string): Promise<Job<JobData> | undefined> {
    const known = this.claimed.get(jobId);
    if (known) return known;
    // Fetched through the worker, so that a retry uses the worker's backoff strategy.
    const { Job } = await import('bullmq');
    return (await Job.fromId<JobData>(this.worker as never, jobId)) ?? undefined;
  }
}
