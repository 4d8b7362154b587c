import type { StepName, Task, TaskStatus } from '../tasks/task.js';
import type { TaskEvents } from '../tasks/task-events.js';
import type { TaskStore } from '../tasks/task-store.js';

/**
 * Keeps a running task's record: saves it after every change (so a restart finds the last
 * completed step) and publishes the matching events.
 */
export class TaskRecorder {
  constructor(
    readonly task: Task,
    private readonly store: TaskStore,
    private readonly events: TaskEvents,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async save(): Promise<void> {
    this.task.updated_at = this.clock().toISOString();
    await this.store.save(this.task);
  }

  async log(message: string, data: Record<string, unknown> = {}): Promise<void> {
    await this.events.emit(this.task.task_id, 'task-log', { message, ...data });
  }

  async setStatus(status: TaskStatus, reason?: string): Promise<void> {
    this.task.status = status;
    if (reason !== undefined) this.task.reason = reason;
    await this.save();
    await this.events.emit(this.task.task_id, 'task-status-changed', { status, ...(reason ? { reason } : {}) });
  }

  completed(name: StepName): boolean {
    return this.task.steps.some((step) => step.name === name && step.status === 'completed');
  }

  /** A step run again (after a restart) takes the place of its earlier entry, keeping the order. */
  private place(step: Task['steps'][number]): void {
    const index = this.task.steps.findIndex((existing) => existing.name === step.name);
    if (index >= 0) this.task.steps[index] = step;
    else this.task.steps.push(step);
  }

  /** Runs one step: records start, end, duration and outcome; a throw marks it failed. */
  async step<T>(name: StepName, run: () => Promise<T>, detail?: (value: T) => string | undefined): Promise<T> {
    const started = this.clock();
    const step: Task['steps'][number] = { name, status: 'running', started_at: started.toISOString() };
    this.place(step);
    await this.save();
    await this.events.emit(this.task.task_id, 'task-step-started', { step: name });
    try {
      const value = await run();
      const finished = this.clock();
      step.status = 'completed';
      step.finished_at = finished.toISOString();
      step.duration_ms = finished.getTime() - started.getTime();
      const text = detail?.(value);
      if (text) step.detail = text;
      await this.save();
      await this.events.emit(this.task.task_id, 'task-step-finished', {
        step: name,
        status: 'completed',
        duration_ms: step.duration_ms,
        ...(text ? { detail: text } : {}),
      });
      return value;
    } catch (error) {
      const finished = this.clock();
      step.status = 'failed';
      step.finished_at = finished.toISOString();
      step.duration_ms = finished.getTime() - started.getTime();
      step.detail = error instanceof Error ? error.message : String(error);
      await this.save();
      await this.events.emit(this.task.task_id, 'task-step-finished', {
        step: name,
        status: 'failed',
        duration_ms: step.duration_ms,
        detail: step.detail,
      });
      throw error;
    }
  }

  /** Marks a step as skipped with why. */
  async skip(name: StepName, why: string): Promise<void> {
    const now = this.clock().toISOString();
    this.place({ name, status: 'skipped', started_at: now, finished_at: now, duration_ms: 0, detail: why });
    await this.save();
    await this.events.emit(this.task.task_id, 'task-step-finished', { step: name, status: 'skipped', detail: why });
  }
}
