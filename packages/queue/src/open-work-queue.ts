import type { Database } from '@atb/storage';
import { BullMqWorkQueue } from './bullmq-work-queue.js';
import { SqlWorkQueue } from './sql-work-queue.js';
import type { WorkQueue, WorkQueueOptions } from './work-queue.js';

export interface OpenWorkQueueOptions extends WorkQueueOptions {
  /** The queue's name (one table or one BullMQ queue holds several). */
  queue: string;
  /** The service's database: holds the queue when no `redisUrl` is given. */
  database: Database<unknown>;
  /** `REDIS_URL`: when set, the queue lives in Redis (BullMQ) instead of the database. */
  redisUrl?: string;
  /** Redis key prefix; default BullMQ's `bull`. */
  redisPrefix?: string;
}

/**
 * The queue a service runs on: BullMQ when a Redis URL is configured, otherwise a table in the
 * service's own database (SQLite or PostgreSQL), so one machine needs nothing else installed.
 */
export async function openWorkQueue(options: OpenWorkQueueOptions): Promise<WorkQueue> {
  const { queue, database, redisUrl, redisPrefix, ...settings } = options;
  if (redisUrl) {
    return BullMqWorkQueue.open({
      url: redisUrl,
      queue,
      ...settings,
      ...(redisPrefix === undefined ? {} : { prefix: redisPrefix }),
    });
  }
  return SqlWorkQueue.open(database, queue, settings);
}
