import type { FastifyBaseLogger } from 'fastify';
import type { Job } from '../store/agent-store.js';
import type { JobQueue } from '../store/job-queue.js';

/** Handles one job. Throwing retries it with exponential backoff; returning finishes it. */
export type JobHandler = (job: Job) => Promise<void>;

export interface JobWorkerOptions {
  concurrency: number;
  /** How often due jobs are looked for when nothing woke the worker; default 200 ms. */
  pollIntervalMs?: number;
  /** Attempts before a job is marked failed; default 8. */
  maxAttempts?: number;
  /** Runs on every poll (approval expiry and other sweeps). */
  onTick?: () => Promise<void>;
  /** Runs when a job failed for good (after its last attempt). */
  onFailed?: (job: Job, error: unknown) => Promise<void>;
}

/**
 * The in-process worker of the durable queue (the `jobs` table). Jobs survive a crash: at
 * start, jobs a dead process left running go back to the queue, and every handler is written
 * so that running it again is safe.
 */
export class JobWorker {
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
  ) {}

  get active(): boolean {
    return !this.stopped;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    const requeued = await this.jobs.requeueRunning();
    if (requeued > 0) this.logger.warn({ requeued }, 'resuming jobs left unfinished by a previous run');
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

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight]);
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
    try {
      if (this.options.onTick && Date.now() - this.lastTick >= 1000) {
        this.lastTick = Date.now();
        await this.options.onTick().catch((error: unknown) => this.logger.error({ err: error }, 'worker sweep failed'));
      }
      const free = this.options.concurrency - this.running;
      if (free > 0) {
        const jobs = await this.jobs.claim(new Date().toISOString(), free);
        for (const job of jobs) this.run(job);
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
      this.schedule(this.options.pollIntervalMs ?? 200);
    }
  }

  private run(job: Job): void {
    this.running += 1;
    const task = this.execute(job).finally(() => {
      this.running -= 1;
      this.inFlight.delete(task);
      this.wake();
    });
    this.inFlight.add(task);
  }

  private async execute(job: Job): Promise<void> {
    const handler = this.handlers[job.type];
    if (!handler) {
      await this.jobs.fail(job.id, `no handler for job type "${job.type}"`);
      return;
    }
    try {
      await handler(job);
      await this.jobs.finish(job.id);
    } catch (error) {
      if (this.stopped) return; // left running; requeued at the next start
      const message = error instanceof Error ? error.message : String(error);
      const maxAttempts = this.options.maxAttempts ?? 8;
      if (job.attempts + 1 >= maxAttempts) {
        this.logger.error({ err: error, job: job.type, id: job.id }, 'job failed for good');
        await this.jobs.fail(job.id, message).catch(() => {});
        await this.options.onFailed?.(job, error).catch((hookError: unknown) => this.logger.error({ err: hookError }, 'job failure hook failed'));
      } else {
        const delay = Math.min(30_000, 250 * 2 ** job.attempts);
        this.logger.warn({ err: error, job: job.type, id: job.id, retry_in_ms: delay }, 'job failed; retrying');
        await this.jobs.retry(job.id, new Date(Date.now() + delay).toISOString(), message).catch(() => {});
      }
    }
  }
}
