import { EventEmitter } from 'node:events';
import type { AuditLog } from '@atb/storage';
import type { TaskEvent } from './task.js';
import type { TaskStore } from './task-store.js';

const ALL = Symbol('all task events');

/**
 * Persists each task event, writes it to the audit log (actor `coding-agent`, action = event
 * type, subject = task id), and tells live watchers (the SSE stream, metrics).
 */
export class TaskEvents {
  private readonly emitter = new EventEmitter();

  constructor(
    private readonly store: TaskStore,
    private readonly clock: () => Date = () => new Date(),
    private readonly audit?: AuditLog,
  ) {
    this.emitter.setMaxListeners(0);
  }

  async emit(taskId: string, type: TaskEvent['type'], data: Record<string, unknown> = {}): Promise<TaskEvent> {
    const event = await this.store.appendEvent(taskId, type, data, this.clock());
    await this.audit?.append({ actor: 'coding-agent', action: type, subject: taskId, data });
    this.emitter.emit(taskId, event);
    this.emitter.emit(ALL, event);
    return event;
  }

  /** Calls `listener` for every event of every task; returns the unsubscribe function. */
  subscribeAll(listener: (event: TaskEvent) => void): () => void {
    this.emitter.on(ALL, listener);
    return () => this.emitter.off(ALL, listener);
  }

  /** Calls `listener` for each new event of the task; returns the unsubscribe function. */
  subscribe(taskId: string, listener: (event: TaskEvent) => void): () => void {
    this.emitter.on(taskId, listener);
    return () => this.emitter.off(taskId, listener);
  }
}
