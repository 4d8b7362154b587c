import type { NewTask, Task, TaskEvent, TaskStatus } from './task.js';

export interface TaskFilter {
  status?: TaskStatus[];
  repository?: string;
  limit?: number;
}

/** Where tasks and their events live. SQLite or PostgreSQL (`KyselyTaskStore`); one contract suite. */
export interface TaskStore {
  /** Inserts a queued task; a second task with the same `idempotencyKey` is refused (unique). */
  create(id: string, input: NewTask, now: Date, idempotencyKey?: string): Promise<Task>;
  findByIdempotencyKey(key: string): Promise<Task | undefined>;
  get(id: string): Promise<Task | undefined>;
  /** Newest first. */
  list(filter?: TaskFilter): Promise<Task[]>;
  /** Saves the whole task (one row, one statement: never half-written). */
  save(task: Task): Promise<void>;
  /**
   * Takes (or keeps) the lease on a queued or running task: succeeds when nobody holds it, the
   * caller holds it, or the holder's lease ran out. One atomic statement: replicas never both win.
   */
  claim(taskId: string, owner: string, leaseUntil: Date, now: Date): Promise<boolean>;
  /** Extends the caller's lease; answers the task's status, or undefined when the lease was lost. */
  renew(taskId: string, owner: string, leaseUntil: Date): Promise<Task['status'] | undefined>;
  /** Gives the lease back (orderly shutdown, task ended). */
  release(taskId: string, owner: string): Promise<void>;
  /** Queued or running tasks nobody holds a live lease on, oldest first. */
  listClaimable(now: Date, limit?: number): Promise<Task[]>;
  appendEvent(taskId: string, type: TaskEvent['type'], data: Record<string, unknown>, now: Date): Promise<TaskEvent>;
  /** Events with `seq` greater than `afterSeq`, oldest first. */
  listEvents(taskId: string, afterSeq?: number): Promise<TaskEvent[]>;
  close(): Promise<void>;
}
