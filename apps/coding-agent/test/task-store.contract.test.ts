import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyTaskStore } from '../src/tasks/kysely-task-store.js';
import type { TaskStore } from '../src/tasks/task-store.js';

interface Subject {
  store: TaskStore;
  reopen(): Promise<TaskStore>;
  cleanup(): Promise<void>;
}

/** The contract every task store passes. */
function taskStoreContract(open: () => Promise<Subject>) {
  let subject: Subject;
  beforeEach(async () => {
    subject = await open();
  });
  afterEach(async () => {
    await subject.cleanup();
  });

  it('creates a queued task with the request fields', async () => {
    const task = await subject.store.create('t1', { repository: 'atb/x', requirement: 'fix it', incident_id: 'inc-1', allowed_paths: ['src'] }, new Date('2026-01-01T00:00:00Z'));
    expect(task).toMatchObject({ task_id: 't1', status: 'queued', incident_id: 'inc-1', allowed_paths: ['src'], steps: [], resumes: 0 });
    expect(await subject.store.get('t1')).toEqual(task);
    expect(await subject.store.get('missing')).toBeUndefined();
  });

  it('refuses a duplicate id', async () => {
    await subject.store.create('t1', { repository: 'atb/x', requirement: 'a' }, new Date());
    await expect(subject.store.create('t1', { repository: 'atb/x', requirement: 'b' }, new Date())).rejects.toThrow();
  });

  it('finds a task by its idempotency key, which is unique', async () => {
    await subject.store.create('t1', { repository: 'atb/x', requirement: 'a' }, new Date(), 'key-1');
    await subject.store.create('t2', { repository: 'atb/x', requirement: 'b' }, new Date());
    await subject.store.create('t3', { repository: 'atb/x', requirement: 'c' }, new Date());
    expect((await subject.store.findByIdempotencyKey('key-1'))?.task_id).toBe('t1');
    expect(await subject.store.findByIdempotencyKey('key-2')).toBeUndefined();
    await expect(subject.store.create('t4', { repository: 'atb/x', requirement: 'd' }, new Date(), 'key-1')).rejects.toThrow();
  });

  it('saves whole tasks and survives a reopen', async () => {
    const task = await subject.store.create('t1', { repository: 'atb/x', requirement: 'a' }, new Date());
    task.status = 'running';
    task.steps.push({ name: 'plan', status: 'completed', started_at: 'a', finished_at: 'b', duration_ms: 3 });
    task.patch = 'diff --git a/x b/x';
    await subject.store.save(task);
    const reopened = await subject.reopen();
    expect(await reopened.get('t1')).toEqual(task);
    await expect(subject.store.save({ ...task, task_id: 'nope' })).rejects.toThrow(/does not exist/);
  });

  it('lists newest first and filters by status and repository', async () => {
    await subject.store.create('t1', { repository: 'atb/x', requirement: 'a' }, new Date('2026-01-01T00:00:00Z'));
    const second = await subject.store.create('t2', { repository: 'atb/y', requirement: 'b' }, new Date('2026-01-02T00:00:00Z'));
    await subject.store.save({ ...second, status: 'running' });
    expect((await subject.store.list()).map((task) => task.task_id)).toEqual(['t2', 't1']);
    expect((await subject.store.list({ status: ['running'] })).map((task) => task.task_id)).toEqual(['t2']);
    expect((await subject.store.list({ repository: 'atb/x' })).map((task) => task.task_id)).toEqual(['t1']);
    expect(await subject.store.list({ limit: 1 })).toHaveLength(1);
  });

  it('appends events in order per task and lists them after a sequence number', async () => {
    await subject.store.create('t1', { repository: 'atb/x', requirement: 'a' }, new Date());
    const first = await subject.store.appendEvent('t1', 'task-step-started', { step: 'plan' }, new Date());
    await subject.store.appendEvent('t2', 'task-log', { message: 'other task' }, new Date());
    const third = await subject.store.appendEvent('t1', 'task-step-finished', { step: 'plan' }, new Date());
    expect(third.seq).toBeGreaterThan(first.seq);
    expect((await subject.store.listEvents('t1')).map((event) => event.type)).toEqual(['task-step-started', 'task-step-finished']);
    expect((await subject.store.listEvents('t1', first.seq)).map((event) => event.data)).toEqual([{ step: 'plan' }]);
  });
}

describe('KyselyTaskStore on SQLite', () => {
  taskStoreContract(async () => {
    const directory = await mkdtemp(join(tmpdir(), 'atb-tasks-'));
    const file = join(directory, 'tasks.sqlite');
    const opened: TaskStore[] = [await KyselyTaskStore.open(openDatabase(file))];
    return {
      store: opened[0] as TaskStore,
      reopen: async () => {
        const store = await KyselyTaskStore.open(openDatabase(file));
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        for (const store of opened) await store.close();
        await rm(directory, { recursive: true, force: true });
      },
    };
  });
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start it: pg_ctlcluster 15 main start', () => {
  taskStoreContract(async () => {
    const schema = await createTestSchema('coding_tasks');
    const opened: TaskStore[] = [await KyselyTaskStore.open(openDatabase(schema.url, { schema: schema.schema }))];
    return {
      store: opened[0] as TaskStore,
      reopen: async () => {
        const store = await KyselyTaskStore.open(openDatabase(schema.url, { schema: schema.schema }));
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        for (const store of opened) await store.close();
        await schema.drop();
      },
    };
  });
});
