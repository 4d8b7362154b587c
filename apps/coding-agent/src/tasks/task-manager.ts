import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClaimedJob, DeadJob, QueueCounts, WorkQueue } from '@atb/queue';
import { ConflictError, NotFoundError } from '@atb/service-kit';
import { FINAL_STATUSES, type NewTask, type Task } from './task.js';
import type { TaskEvents } from './task-events.js';
import type { TaskStore } from './task-store.js';

export interface TaskManagerOptions {
  maxConcurrent: number;
  /** Times a task interrupted by a restart is resumed before it fails. */
  maxResumes: number;
  /** This process's name on its claims; default host, pid and a random suffix. */
  owner?: string;
  /** How often the queue is asked for work when nothing woke the manager; default 1 000 ms. */
  pollIntervalMs?: number;
  clock?: () => Date;
}

/** Why a running task's signal was aborted. */
export const SHUTDOWN = 'shutdown';
export const CANCELLED = 'cancelled';
export const LEASE_LOST = 'lease-lost';

/** The queue job type of a coding task; its payload is `{ task_id }`. */
export const TASK_JOB = 'coding-task';

/** Runs one task to the end (or until its signal aborts). */
export type TaskRunner = (task: Task, signal: AbortSignal) => Promise<void>;

/** `t` + base-36 time + random hex: sortable, unique, safe in paths and branch names. */
export function newTaskId(now: Date): string {
  return `t${now.getTime().toString(36)}${randomBytes(4).toString('hex')}`;
}

/**
 * Accepts tasks, runs them as the work queue hands them out (at most `MAX_CONCURRENT_TASKS` at a
 * time), cancels them, and resumes the tasks a crashed process left running (or fails them with
 * the reason). The task store keeps each task's record and events; the queue alone decides which
 * replica runs which task: a task runs under the queue's lease, renewed while it runs, so several
 * replicas sharing the queue never run one task twice, and a crashed replica's tasks are handed
 * to another once its lease runs out.
 */
export class TaskManager {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly clock: () => Date;
  readonly owner: string;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private waiting = 0;
  private closed = false;

  constructor(
    private readonly store: TaskStore,
    private readonly queue: WorkQueue,
    private readonly events: TaskEvents,
    private readonly runner: TaskRunner,
    private readonly options: TaskManagerOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.owner = options.owner ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Tasks waiting in the queue (as of the last poll), on every replica. */
  get queuedCount(): number {
    return this.waiting;
  }

  /** The queue's counts (waiting, delayed, active, completed, dead), for `/status` and dashboards. */
  queueCounts(): Promise<QueueCounts> {
    return this.queue.counts();
  }

  /** Task jobs the queue gave up on, newest first. */
  listDeadJobs(limit?: number): Promise<DeadJob[]> {
    return this.queue.listDead(limit);
  }

  /**
   * Accepts a task. With an `idempotencyKey` a repeated submission (a retried request whose
   * answer was lost) returns the task the first one created instead of starting another.
   */
  async submit(input: NewTask, idempotencyKey?: string): Promise<{ task: Task; duplicate: boolean }> {
    if (idempotencyKey) {
      const existing = await this.store.findByIdempotencyKey(idempotencyKey);
      if (existing) return { task: existing, duplicate: true };
    }
    const now = this.clock();
    let task: Task;
    try {
      task = await this.store.create(newTaskId(now), input, now, idempotencyKey);
    } catch (error) {
      // Two identical submissions at the same moment: the unique key lets one through.
      const existing = idempotencyKey ? await this.store.findByIdempotencyKey(idempotencyKey) : undefined;
      if (existing) return { task: existing, duplicate: true };
      throw error;
    }
    await this.events.emit(task.task_id, 'task-status-changed', { status: 'queued' });
    await this.enqueue(task.task_id);
    this.wake();
    return { task, duplicate: false };
  }

  /** One job per task: the dedupe key makes enqueueing a task again harmless. */
  private enqueue(taskId: string): Promise<string> {
    return this.queue.enqueue({ type: TASK_JOB, payload: { task_id: taskId }, dedupeKey: `task:${taskId}` });
  }

  /** Cancels a queued or running task; a finished one is a conflict. */
  async cancel(taskId: string): Promise<Task> {
    const task = await this.store.get(taskId);
    if (!task) throw new NotFoundError(`no task ${taskId}`);
    if (FINAL_STATUSES.includes(task.status)) {
      throw new ConflictError(`task ${taskId} already ended with status ${task.status}`);
    }
    const active = this.running.get(taskId);
    if (active) {
      active.controller.abort(CANCELLED);
      await active.done;
      return (await this.store.get(taskId)) as Task;
    }
    // Queued, or running on another replica: that replica sees the status on its next renewal.
    const now = this.clock().toISOString();
    Object.assign(task, { status: 'cancelled', reason: 'cancelled on request', finished_at: now, updated_at: now });
    await this.store.save(task);
    await this.events.emit(taskId, 'task-status-changed', { status: 'cancelled' });
    await this.events.emit(taskId, 'task-done', { status: 'cancelled', reason: task.reason });
    return task;
  }

  /**
   * Starts taking work from the queue: now, then every poll interval. Every unfinished task in
   * the store is (re-)enqueued first — harmless for those already queued — so a task accepted
   * just before a crash is never lost. A running task whose holder died comes back when its lease
   * runs out and is resumed from its last completed step, or failed with the reason once it was
   * resumed too often.
   */
  async recover(): Promise<{ queued: string[]; interrupted: string[] }> {
    const unfinished = await this.store.list({ status: ['queued', 'running'], limit: 100_000 });
    for (const task of unfinished) await this.enqueue(task.task_id);
    const report = {
      queued: unfinished.filter((task) => task.status === 'queued').map((task) => task.task_id),
      interrupted: unfinished.filter((task) => task.status === 'running').map((task) => task.task_id),
    };
    await this.poll();
    return report;
  }

  /** Asks the queue for work now (after a submission, or when a slot frees up). */
  private wake(): void {
    if (this.closed) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    void this.poll();
  }

  private poll(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.polling = this.takeWork()
      .catch(() => {}) // the next poll tries again
      .finally(() => {
        this.polling = undefined;
        if (this.closed) return;
        const delay = this.pollAgain ? 0 : (this.options.pollIntervalMs ?? 1000);
        this.pollAgain = false;
        this.pollTimer = setTimeout(() => void this.poll(), delay);
        this.pollTimer.unref();
      });
    return this.polling;
  }

  private async takeWork(): Promise<void> {
    const free = this.options.maxConcurrent - this.running.size;
    if (free > 0) {
      for (const job of await this.queue.claim(this.owner, free)) this.start(job);
    }
    const counts = await this.queue.counts();
    this.waiting = counts.waiting;
  }

  private start(job: ClaimedJob): void {
    const taskId = String(job.payload.task_id);
    const controller = new AbortController();
    const done = this.execute(taskId, job, controller).finally(() => {
      this.running.delete(taskId);
      this.wake();
    });
    this.running.set(taskId, { controller, done });
  }

  /** A task found `running` when taken: it was interrupted. Resume it, or fail it with the reason. */
  private async resumeOrFail(task: Task): Promise<boolean> {
    const now = this.clock().toISOString();
    const orderly = task.interrupted_by_shutdown === true;
    delete task.interrupted_by_shutdown;
    if (!orderly && task.resumes >= this.options.maxResumes) {
      const running = task.steps.find((step) => step.status === 'running');
      Object.assign(task, {
        status: 'failed',
        reason: `interrupted by a restart${running ? ` during step ${running.name}` : ''} ${task.resumes + 1} times; not resumed again (TASK_MAX_RESUMES=${this.options.maxResumes}); nothing was claimed as done`,
        finished_at: now,
        updated_at: now,
      });
      for (const step of task.steps) if (step.status === 'running') Object.assign(step, { status: 'failed', detail: 'interrupted by a restart' });
      await this.store.save(task);
      await this.events.emit(task.task_id, 'task-done', { status: 'failed', reason: task.reason });
      return false;
    }
    if (!orderly) task.resumes += 1;
    task.updated_at = now;
    for (const step of task.steps) {
      if (step.status === 'running') Object.assign(step, { status: 'failed', detail: 'interrupted by a restart', finished_at: now });
    }
    await this.store.save(task);
    const last = [...task.steps].reverse().find((step) => step.status === 'completed');
    await this.events.emit(task.task_id, 'task-log', {
      message: `resumed after ${orderly ? 'a shutdown' : `a restart (resume ${task.resumes})`}; last completed step: ${last?.name ?? 'none'}`,
    });
    return true;
  }

  /** Renews the job's lease while the task runs; aborts when the lease is lost or the task was cancelled. */
  private heartbeat(taskId: string, job: ClaimedJob, controller: AbortController): NodeJS.Timeout {
    const renewal = setInterval(
      () => {
        this.queue
          .renew(job.id, this.owner)
          .then(async (renewed) => {
            if (!renewed) return controller.abort(LEASE_LOST);
            if ((await this.store.get(taskId))?.status === 'cancelled') controller.abort(CANCELLED);
          })
          .catch(() => {});
      },
      Math.max(50, Math.floor(this.queue.leaseMs / 3)),
    );
    renewal.unref();
    return renewal;
  }

  private async execute(taskId: string, job: ClaimedJob, controller: AbortController): Promise<void> {
    const signal = controller.signal;
    const renewal = this.heartbeat(taskId, job, controller);
    const task = await this.store.get(taskId);
    try {
      if (!task || FINAL_STATUSES.includes(task.status)) return;
      if (task.status === 'running' && !(await this.resumeOrFail(task))) return;
      await this.runner(task, signal);
    } catch (error) {
      // The runner records its own failures; this is the last line of defence.
      const now = this.clock().toISOString();
      const latest = (await this.store.get(taskId)) ?? task;
      const interrupted = signal.aborted && (signal.reason === SHUTDOWN || signal.reason === LEASE_LOST);
      if (latest && !FINAL_STATUSES.includes(latest.status) && !interrupted) {
        Object.assign(latest, {
          status: 'failed',
          reason: `internal error: ${error instanceof Error ? error.message : String(error)}`,
          finished_at: now,
          updated_at: now,
        });
        await this.store.save(latest).catch(() => {});
        await this.events.emit(taskId, 'task-done', { status: 'failed', reason: latest.reason }).catch(() => {});
      }
    } finally {
      clearInterval(renewal);
      await this.settle(taskId, job, signal).catch(() => {});
    }
  }

  /** Finishes the job of an ended task; gives back that of an unfinished one (shutdown) at once. */
  private async settle(taskId: string, job: ClaimedJob, signal: AbortSignal): Promise<void> {
    if (signal.reason === LEASE_LOST) return; // another replica has it now
    const latest = await this.store.get(taskId);
    if (latest && !FINAL_STATUSES.includes(latest.status)) await this.queue.release(job.id, this.owner);
    else await this.queue.complete(job.id, this.owner);
  }

  /** Stops taking work and interrupts running tasks; they stay `running` and resume on the next start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    await this.polling;
    const active = [...this.running.values()];
    for (const entry of active) entry.controller.abort(SHUTDOWN);
    await Promise.all(active.map((entry) => entry.done));
  }
}
