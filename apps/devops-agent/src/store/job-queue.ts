import type { Job, NewJob } from './agent-store.js';

/** The durable work queue (the `jobs` table): what survives a crash is what is written here. */
export interface JobQueue {
  /** A job whose `dedupe_key` was used before is not enqueued again. */
  enqueue(jobs: NewJob[]): Promise<void>;
  /** Marks up to `limit` jobs due at `now` running and returns them, oldest first. */
  claim(now: string, limit: number): Promise<Job[]>;
  finish(id: number): Promise<void>;
  retry(id: number, runAt: string, error: string): Promise<void>;
  fail(id: number, error: string): Promise<void>;
  /** After a crash: jobs left running go back to the queue. Returns how many. */
  requeueRunning(): Promise<number>;
  countByStatus(): Promise<Record<string, number>>;
}
