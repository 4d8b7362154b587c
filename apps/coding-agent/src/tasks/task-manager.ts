import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ConflictError, NotFoundError } from '@atb/service-kit';
import { FINAL_STATUSES, type NewTask, type Task } from './task.js';
import type { TaskEvents } from './task-events.js';
import type { TaskStore } from './task-store.js';

export interface TaskManagerOptions {
  maxConcurrent: number;
  /** Times a task interrupted by a restart is resumed before it fails. */
  maxResumes: number;
  /** How long a claim on a task lasts without renewal (renewed every third of it); default 30 s. */
  leaseMs?: number;
  /** This process's name on its leases; default host, pid and a random suffix. */
  owner?: string;
  clock?: () => Date;
}

/** Why a running task's signal was aborted. */
export const SHUTDOWN = 'shutdown';
export const CANCELLED = 'cancelled';
export const LEASE_LOST = 'lease-lost';

/** Runs one task to the end (or until its signal aborts). */
export type TaskRunner = (task: Task, signal: AbortSignal) => Promise<void>;

/** `t` + base-36 time + random hex: sortable, unique, safe in paths and branch names. */
export function newTaskId(now: Date): string {
  return `t${now.getTime().toString(36)}${randomBytes(4).toString('hex')}`;
}

/**
 * Accepts tasks, queues them beyond `MAX_CONCURRENT_TASKS`, runs them, cancels them, and resumes
 * the tasks a crashed process left running (or fails them with the reason). A task runs only
 * under a lease in the store, renewed while it runs, so several replicas on one database share
 * the queue and never run the same task twice; a crashed replica's tasks are taken over once
 * its lease runs out.
 */
export class TaskManager {
  private readonly queue: string[] = [];
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly clock: () => Date;
  private readonly leaseMs: number;
  readonly owner: string;
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: TaskStore,
    private readonly events: TaskEvents,
    private readonly runner: TaskRunner,
    private readonly options: TaskManagerOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.leaseMs = options.leaseMs ?? 30_000;
    this.owner = options.owner ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  get runningCount(): number {
    return this.running.size;
  }

  get queuedCount(): number {
    return this.queue.length;
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
    if (!this.queue.includes(task.task_id) && !this.running.has(task.task_id)) this.queue.push(task.task_id);
    this.schedule();
    return { task, duplicate: false };
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
    const index = this.queue.indexOf(taskId);
    if (index >= 0) this.queue.splice(index, 1);
    const now = this.clock().toISOString();
    Object.assign(task, { status: 'cancelled', reason: 'cancelled on request', finished_at: now, updated_at: now });
    await this.store.save(task);
    await this.events.emit(taskId, 'task-status-changed', { status: 'cancelled' });
    await this.events.emit(taskId, 'task-done', { status: 'cancelled', reason: task.reason });
    return task;
  }

  /**
   * Starts taking work from the store: now, then every half lease. Queued tasks nobody holds
   * are taken (also those another replica accepted); running ones whose holder's lease ran out
   * (a crashed process) are resumed from their last completed step, or failed with the reason
   * once they were resumed too often.
   */
  async recover(): Promise<{ queued: string[]; interrupted: string[] }> {
    const report = await this.poll();
    this.pollTimer ??= setInterval(() => {
      this.poll().catch(() => {});
    }, Math.max(100, Math.floor(this.leaseMs / 2)));
    this.pollTimer.unref();
    return report;
  }

  private async poll(): Promise<{ queued: string[]; interrupted: string[] }> {
    const report = { queued: [] as string[], interrupted: [] as string[] };
    if (this.closed) return report;
    for (const task of await this.store.listClaimable(this.clock(), 1000)) {
      if (this.running.has(task.task_id) || this.queue.includes(task.task_id)) continue;
      if (task.status === 'running') {
        report.interrupted.push(task.task_id);
        this.queue.unshift(task.task_id);
      } else {
        report.queued.push(task.task_id);
        this.queue.push(task.task_id);
      }
    }
    this.schedule();
    return report;
  }

  private schedule(): void {
    while (!this.closed && this.running.size < this.options.maxConcurrent && this.queue.length > 0) {
      const taskId = this.queue.shift() as string;
      if (this.running.has(taskId)) continue; // queued twice (submitted while a poll saw it)
      const controller = new AbortController();
      const done = this.execute(taskId, controller).finally(() => {
        this.running.delete(taskId);
        this.schedule();
      });
      this.running.set(taskId, { controller, done });
    }
  }

  private leaseUntil(): Date {
    return new Date(this.clock().getTime() + this.leaseMs);
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

  private async execute(taskId: string, controller: AbortController): Promise<void> {
    const signal = controller.signal;
    if (!(await this.store.claim(taskId, this.owner, this.leaseUntil(), this.clock()))) return; // another replica has it
    const renewal = setInterval(() => {
      this.store.renew(taskId, this.owner, this.leaseUntil()).then(
        (status) => {
          if (status === undefined) controller.abort(LEASE_LOST);
          else if (status === 'cancelled') controller.abort(CANCELLED);
        },
        () => {},
      );
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    renewal.unref();
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
      if (signal.reason !== LEASE_LOST) await this.store.release(taskId, this.owner).catch(() => {});
    }
  }

  /** Stops taking work and interrupts running tasks; they stay `running` and resume on the next start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.queue.length = 0;
    const active = [...this.running.values()];
    for (const entry of active) entry.controller.abort(SHUTDOWN);
    await Promise.all(active.map((entry) => entry.done));
  }
}
