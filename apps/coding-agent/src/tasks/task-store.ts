import type { NewTask, Task, TaskEvent, TaskStatus } from './task.js';

export interface TaskFilter {
  status?: TaskStatus[];
  repository?: string;
  limit?: number;
}

/**
 * Where tasks and their events live. SQLite or PostgreSQL (`KyselyTaskStore`); one contract suite.
 * Which replica runs a task is not the store's business: the work queue decides that.
 */
export interface TaskStore {
  /** Inserts a queued task; a second task with the same `idempotencyKey` is refused (unique). */
  create(id: string, input: NewTask, now: Date, idempotencyKey?: string): Promise<Task>;
  findByIdempotencyKey(key: string): Promise<Task | undefined>;
  get(id: string): Promise<Task | undefined>;
  /** Newest first. */
  list(filter?: TaskFilter): Promise<Task[]>;
  /** Saves the whole task (one row, one statement: never half-written). */
  save(task: Task): Promise<void>;
  appendEvent(taskId: string, type: TaskEvent['type'], data: Record<string, unknown>, now: Date): Promise<TaskEvent>;
  /** Events with `seq` greater than `afterSeq`, oldest first. */
  listEvents(taskId: string, afterSeq?: number): Promise<TaskEvent[]>;
  close(): Promise<void>;
}
