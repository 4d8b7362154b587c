import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BullMqWorkQueue, SqlWorkQueue, type WorkQueue } from '@atb/queue';
import { type Database, openDatabase } from '@atb/storage';
import {
  createTestSchema,
  deleteRedisKeys,
  describeWithComponent,
  probePostgres,
  probeRedis,
  TEST_REDIS_URL,
} from '@atb/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { KyselyTaskStore } from '../src/tasks/kysely-task-store.js';
import type { Task } from '../src/tasks/task.js';
import { TaskEvents } from '../src/tasks/task-events.js';
import { TASK_JOB, TaskManager } from '../src/tasks/task-manager.js';
import type { TaskStore } from '../src/tasks/task-store.js';

// Long enough that a heartbeat on a busy machine (2 cores, several test runs) never misses it.
const LEASE_MS = 3000;

/** Where the replicas keep their tasks and their queue: a database each replica opens, and a queue on it or on Redis. */
interface Backend {
  openDatabase(): Database<unknown>;
  openQueue(database: Database<unknown>): Promise<WorkQueue>;
  destroy(): Promise<void>;
}

/** Opens replicas of the task manager sharing one store and one queue, each with a runner the test ends. */
function useReplicas(create: () => Promise<Backend>) {
  let backend: Backend;
  const closers: (() => Promise<void>)[] = [];
  const started: { replica: string; taskId: string; status: Task['status'] }[] = [];
  const finishers = new Map<string, () => void>();

  async function handles(): Promise<{ store: TaskStore; queue: WorkQueue }> {
    const database = backend.openDatabase();
    const store = await KyselyTaskStore.open(database);
    const queue = await backend.openQueue(database);
    closers.push(async () => {
      await queue.close();
      await store.close();
    });
    return { store, queue };
  }

  async function replica(name: string): Promise<{ store: TaskStore; queue: WorkQueue; manager: TaskManager }> {
    const { store, queue } = await handles();
    const runner = async (task: Task, signal: AbortSignal) => {
      await store.save({ ...task, status: 'running' });
      await new Promise<void>((resolve) => {
        finishers.set(task.task_id, resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
        // Recorded once the test can finish it.
        started.push({ replica: name, taskId: task.task_id, status: task.status });
      });
      if (signal.aborted) return;
      const latest = (await store.get(task.task_id)) as Task;
      await store.save({ ...latest, status: 'completed' });
    };
    const manager = new TaskManager(store, queue, new TaskEvents(store), runner, {
      maxConcurrent: 1,
      maxResumes: 1,
      owner: name,
      pollIntervalMs: 50,
    });
    closers.unshift(() => manager.close());
    return { store, queue, manager };
  }

  beforeEach(async () => {
    backend = await create();
    started.length = 0;
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await backend.destroy();
  });
  return { handles, replica, started, finishers };
}

/** Replicas share the tasks, never run one twice, and take over a dead replica's. */
function taskManagerReplicas(create: () => Promise<Backend>) {
  const { handles, replica, started, finishers } = useReplicas(create);

  it('share the queue and never run a task twice', async () => {
    const a = await replica('a');
    const b = await replica('b');
    await b.manager.recover();
    const first = (await a.manager.submit({ repository: 'atb/x', requirement: 'one' })).task.task_id;
    const second = (await a.manager.submit({ repository: 'atb/x', requirement: 'two' })).task.task_id;
    await expect.poll(() => started.map((entry) => `${entry.replica}:${entry.taskId}`).sort(), { timeout: 5000 }).toEqual(
      [`a:${first}`, `b:${second}`].sort(),
    );
    finishers.get(first)?.();
    finishers.get(second)?.();
    await expect.poll(async () => (await a.store.list({ status: ['completed'] })).length, { timeout: 5000 }).toBe(2);
    await expect.poll(async () => (await a.queue.counts()).completed, { timeout: 5000 }).toBe(2);
    expect(started).toHaveLength(2);
  });

  it("take over a crashed replica's running task once its lease runs out, counting a resume", async () => {
    const crashed = await handles();
    const task = await crashed.store.create('t-crashed', { repository: 'atb/x', requirement: 'x' }, new Date());
    await crashed.store.save({ ...task, status: 'running', steps: [{ name: 'plan', status: 'completed', started_at: 'x' }] });
    // The replica "dead" took the task, then died: it never renews its lease.
    await crashed.queue.enqueue({ type: TASK_JOB, payload: { task_id: 't-crashed' }, dedupeKey: 'task:t-crashed' });
    expect(await crashed.queue.claim('dead', 1)).toHaveLength(1);
    const b = await replica('b');
    await b.manager.recover();
    await expect.poll(() => started.map((entry) => entry.taskId), { timeout: 5000 }).toEqual(['t-crashed']);
    expect((await b.store.get('t-crashed'))?.resumes).toBe(1);
  });

  it('leave a task alone while another replica renews its lease', async () => {
    const alive = await handles();
    const task = await alive.store.create('t-held', { repository: 'atb/x', requirement: 'x' }, new Date());
    await alive.store.save({ ...task, status: 'running' });
    const jobId = await alive.queue.enqueue({ type: TASK_JOB, payload: { task_id: 't-held' }, dedupeKey: 'task:t-held' });
    expect(await alive.queue.claim('alive', 1)).toHaveLength(1);
    const b = await replica('b');
    await b.manager.recover();
    for (let beat = 0; beat < 4; beat += 1) {
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 3));
      expect(await alive.queue.renew(jobId, 'alive')).toBe(true);
    }
    expect(started).toEqual([]);
  });

  it('hand a task over at once on an orderly shutdown, without counting a resume', async () => {
    const a = await replica('a');
    await a.manager.recover();
    const taskId = (await a.manager.submit({ repository: 'atb/x', requirement: 'x' })).task.task_id;
    await expect.poll(() => started.length, { timeout: 5000 }).toBe(1);
    await a.manager.close();
    const b = await replica('b');
    await b.manager.recover();
    await expect.poll(() => started.map((entry) => entry.replica), { timeout: LEASE_MS * 3 }).toEqual(['a', 'b']);
    expect((await b.store.get(taskId))?.status).toBe('running');
  });
}

const queueOptions = { leaseMs: LEASE_MS, maxAttempts: 5, backoffMs: 100 };

describeWithComponent('SQLite', undefined, '', () => {
  taskManagerReplicas(async () => {
    const directory = await mkdtemp(join(tmpdir(), 'atb-replicas-'));
    return {
      openDatabase: () => openDatabase(join(directory, 'tasks.sqlite')),
      openQueue: (database) => SqlWorkQueue.open(database, 'coding-tasks', queueOptions),
      destroy: () => rm(directory, { recursive: true, force: true }),
    };
  });
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start it: pg_ctlcluster 15 main start', () => {
  taskManagerReplicas(async () => {
    const schema = await createTestSchema('coding_task_replicas');
    return {
      openDatabase: () => openDatabase(schema.url, { schema: schema.schema, poolSize: 4 }),
      openQueue: (database) => SqlWorkQueue.open(database, 'coding-tasks', queueOptions),
      destroy: () => schema.drop(),
    };
  });
});

describeWithComponent('Redis', await probeRedis(), 'start it: redis-server --daemonize yes', () => {
  taskManagerReplicas(async () => {
    const directory = await mkdtemp(join(tmpdir(), 'atb-replicas-'));
    const prefix = `atb-test-tasks-${process.pid}-${Date.now().toString(36)}`;
    return {
      openDatabase: () => openDatabase(join(directory, 'tasks.sqlite')),
      openQueue: () => BullMqWorkQueue.open({ ...queueOptions, url: TEST_REDIS_URL, queue: 'coding-tasks', prefix }),
      destroy: async () => {
        await deleteRedisKeys(prefix);
        await rm(directory, { recursive: true, force: true });
      },
    };
  });
});
