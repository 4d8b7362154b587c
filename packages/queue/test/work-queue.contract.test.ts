import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@atb/storage';
import { createTestSchema, deleteRedisKeys, describeWithComponent, probePostgres, probeRedis, TEST_REDIS_URL } from '@atb/testing';
import { BullMqWorkQueue } from '../src/bullmq-work-queue.js';
import { SqlWorkQueue } from '../src/sql-work-queue.js';
import type { WorkQueue } from '../src/work-queue.js';
import { type QueueFixture, workQueueContract } from './work-queue.contract.js';

/** Closes the handles a fixture opened, then removes its store. */
function tracking(open: QueueFixture['open'], remove: () => Promise<void>): QueueFixture {
  const handles: WorkQueue[] = [];
  return {
    async open(options) {
      const queue = await open(options);
      handles.push(queue);
      return queue;
    },
    async destroy() {
      await Promise.all(handles.map((queue) => queue.close().catch(() => {})));
      await remove();
    },
  };
}

describeWithComponent('SQLite', undefined, '', () => {
  workQueueContract(async () => {
    const directory = mkdtempSync(join(tmpdir(), 'atb-queue-'));
    const file = join(directory, 'queue.db');
    return tracking(
      (options) => SqlWorkQueue.open(openDatabase(file), 'tasks', { ...options, ownsDatabase: true }),
      async () => rmSync(directory, { recursive: true, force: true }),
    );
  });
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start it: pg_ctlcluster 15 main start', () => {
  workQueueContract(async () => {
    const schema = await createTestSchema('work_queue');
    return tracking(
      (options) => SqlWorkQueue.open(openDatabase(schema.url, { schema: schema.schema }), 'tasks', { ...options, ownsDatabase: true }),
      () => schema.drop(),
    );
  });
});

describeWithComponent('Redis', await probeRedis(), 'start it: redis-server --daemonize yes', () => {
  workQueueContract(async () => {
    const prefix = `atb-test-queue-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    return tracking(
      (options) => BullMqWorkQueue.open({ ...options, url: TEST_REDIS_URL, queue: 'tasks', prefix }),
      () => deleteRedisKeys(prefix),
    );
  });
});
