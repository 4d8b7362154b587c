import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Job } from '../store/agent-store.js';
import type { JobQueue } from '../store/job-queue.js';

/** Handles one job. Throwing retries it with exponential backoff; returning finishes it. */
export type JobHandler = (job: Job) => Promise<void>;

export interface JobWorkerOptions {
  concurrency: number;
  /** How often due jobs are looked for when nothing woke the worker; default 200 ms. */
  pollIntervalMs?: number;
  /**
   * Longest pause between polls of an idle worker whose queue says when its next job is due
   * (`nextDueAt`): it sleeps until then, at most this long (default 1000 ms); a wake-up after an
   * enqueue still polls at once.
   */
  idlePollIntervalMs?: number;
  /** Deliveries of a job before it becomes a dead letter (status `failed`); default 8. */
  maxAttempts?: number;
  /** How long a claim lasts without renewal; renewed every third of it while the handler runs. Default 30 000 ms. */
  leaseMs?: number;
  /** This replica's name on its claims; default host, process id and a random suffix. */
  owner?: string;
  /** Runs on every poll (approval expiry and other sweeps). */
  onTick?: () => Promise<void>;
  /** Runs when a job failed for good (after its last attempt). */
  onFailed?: (job: Job, error: unknown) => Promise<void>;
}

/** A replica's default name: unique per process, readable in the jobs table. */
export const defaultOwner = (): string => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/**
 * The worker of the durable queue (the `jobs` table), one per replica. It claims jobs under a
 * lease and renews it while the handler runs; jobs a dead replica held come back to any replica
 * once their lease ran out, and every handler is written so that running it again is safe.
 */
export class JobWorker {
  readonly owner: string;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private polling = false;
  private pollAgain = false;
  private readonly inFlight = new Set<Promise<void>>();
  private lastTick = 0;

  constructor(
    private readonly jobs: JobQueue,
    private readonly handlers: Record<string, JobHandler>,
    private readonly logger: FastifyBaseLogger,
    private readonly options: JobWorkerOptions,
  ) {
    this.owner = options.owner ?? defaultOwner();
  }

  get active(): boolean {
    return !this.stopped;
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? 30_000;
  }

  private get maxAttempts(): number {
    return this.options.maxAttempts ?? 8;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Looks for due jobs now (called after enqueueing). */
  wake(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops claiming, lets running handlers end, and gives back what is still held. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight]);
    await this.jobs.release(this.owner).catch((error: unknown) => this.logger.warn({ err: error }, 'could not release held jobs'));
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.poll();
    }, delayMs);
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.polling) return;
    this.polling = true;
    let delay = this.options.pollIntervalMs ?? 200;
    try {
      if (this.options.onTick && Date.now() - this.lastTick >= 1000) {
        this.lastTick = Date.now();
        await this.options.onTick().catch((error: unknown) => this.logger.error({ err: error }, 'worker sweep failed'));
      }
      const free = this.options.concurrency - this.running;
      if (free > 0) {
        const jobs = await this.jobs.claim(this.owner, new Date().toISOString(), free, this.leaseMs);
        for (const job of jobs) this.run(job);
        // Still polling meanwhile: a wake-up during this read is not lost.
        if (jobs.length === 0) delay = await this.untilDue();
      }
    } catch (error) {
      this.logger.error({ err: error }, 'job poll failed');
    } finally {
      this.polling = false;
    }
    if (this.stopped) return;
    if (this.pollAgain) {
      this.pollAgain = false;
      this.schedule(0);
    } else {
      this.schedule(delay);
    }
  }

  /** An idle worker's pause: until the next job is due, between the base and the idle interval. */
  private async untilDue(): Promise<number> {
    const base = this.options.pollIntervalMs ?? 200;
    const most = Math.max(base, this.options.idlePollIntervalMs ?? 1000);
    if (!this.jobs.nextDueAt) return base;
    try {
      const due = await this.jobs.nextDueAt();
      const wait = due === undefined ? most : Date.parse(due) - Date.now();
      return Number.isFinite(wait) ? Math.min(most, Math.max(base, wait)) : base;
    } catch {
      return base;
    }
  }

  private run(job: Job): void {
    this.running += 1;
    const heartbeat = setInterval(() => {
      this.jobs.renew(job.id, this.owner, this.leaseMs).then(
        (held) => held || this.logger.warn({ job: job.type, id: job.id }, 'job lease lost; another replica may run it'),
        (error: unknown) => this.logger.warn({ err: error, id: job.id }, 'job lease renewal failed'),
      );
    }, this.leaseMs / 3);
    heartbeat.unref?.();
    const task = this.execute(job).finally(() => {
      clearInterval(heartbeat);
      this.running -= 1;
      this.inFlight.delete(task);
      this.wake();
    });
    this.inFlight.add(task);
  }

  private async execute(job: Job): Promise<void> {
    const handler = this.handlers[job.type];
    if (!handler) {
      await this.jobs.fail(job.id, this.owner, `no handler for job type "${job.type}"`);
      return;
    }
    if (job.attempts >= this.maxAttempts) {
      await this.giveUp(job, new Error(`the lease of job ${job.id} ran out on its last attempt (its holder died or hung)`));
      return;
    }
    try {
      await handler(job);
      await this.jobs.finish(job.id, this.owner);
    } catch (error) {
      if (this.stopped) return; // released at the stop, due again for any replica
      if (job.attempts + 1 >= this.maxAttempts) return this.giveUp(job, error);
      const delay = Math.min(30_000, 250 * 2 ** job.attempts);
      this.logger.warn({ err: error, job: job.type, id: job.id, retry_in_ms: delay }, 'job failed; retrying');
      const message = error instanceof Error ? error.message : String(error);
      await this.jobs.retry(job.id, this.owner, new Date(Date.now() + delay).toISOString(), message).catch(() => {});
    }
  }

  /** The job becomes a dead letter; the failure hook runs only for the replica that moved it there. */
  private async giveUp(job: Job, error: unknown): Promise<void> {
    this.logger.error({ err: error, job: job.type, id: job.id }, 'job failed for good');
    const message = error instanceof Error ? error.message : String(error);
    const moved = await this.jobs.fail(job.id, this.owner, message).catch(() => false);
    if (!moved) return;
    await this.options.onFailed?.(job, error).catch((hookError: unknown) => this.logger.error({ err: hookError }, 'job failure hook failed'));
  }
}
