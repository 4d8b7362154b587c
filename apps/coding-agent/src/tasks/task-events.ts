import { EventEmitter } from 'node:events';
import type { TaskEvent } from './task.js';
import type { TaskStore } from './task-store.js';

/** Persists each task event and tells live watchers (the SSE stream). */
export class TaskEvents {
  private readonly emitter = new EventEmitter();

  constructor(
    private readonly store: TaskStore,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.emitter.setMaxListeners(0);
  }

  async emit(taskId: string, type: TaskEvent['type'], data: Record<string, unknown> = {}): Promise<TaskEvent> {
    const event = await this.store.appendEvent(taskId, type, data, this.clock());
    this.emitter.emit(taskId, event);
    return event;
  }

  /** Calls `listener` for each new event of the task; returns the unsubscribe function. */
  subscribe(taskId: string, listener: (event: TaskEvent) => void): () => void {
    this.emitter.on(taskId, listener);
    return () => this.emitter.off(taskId, listener);
  }
}
