import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@atb/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyTaskStore } from '../src/tasks/kysely-task-store.js';
import type { Task } from '../src/tasks/task.js';
import { TaskEvents } from '../src/tasks/task-events.js';
import { TaskManager } from '../src/tasks/task-manager.js';
import type { TaskStore } from '../src/tasks/task-store.js';

/** Two replicas of the task manager on one SQLite database, each with a runner the test ends. */
describe('task manager replicas sharing one store', () => {
  let directory: string;
  const stores: TaskStore[] = [];
  const managers: TaskManager[] = [];
  const started: { replica: string; taskId: string; status: Task['status'] }[] = [];
  const finishers = new Map<string, () => void>();

  async function replica(name: string): Promise<{ store: TaskStore; manager: TaskManager }> {
    const store = await KyselyTaskStore.open(openDatabase(join(directory, 'tasks.sqlite')));
    const runner = async (task: Task, signal: AbortSignal) => {
      started.push({ replica: name, taskId: task.task_id, status: task.status });
      await store.save({ ...task, status: 'running' });
      await new Promise<void>((resolve) => {
        finishers.set(task.task_id, resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      if (signal.aborted) return;
      const latest = (await store.get(task.task_id)) as Task;
      await store.save({ ...latest, status: 'completed' });
    };
    const manager = new TaskManager(store, new TaskEvents(store), runner, { maxConcurrent: 1, maxResumes: 1, leaseMs: 300, owner: name });
    stores.push(store);
    managers.push(manager);
    return { store, manager };
  }

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'atb-replicas-'));
    started.length = 0;
  });
  afterEach(async () => {
    for (const manager of managers.splice(0)) await manager.close();
    for (const store of stores.splice(0)) await store.close();
    await rm(directory, { recursive: true, force: true });
  });

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
    expect(started).toHaveLength(2);
  });

  it("take over a crashed replica's running task once its lease runs out, counting a resume", async () => {
    const b = await replica('b');
    const task = await b.store.create('t-crashed', { repository: 'atb/x', requirement: 'x' }, new Date());
    await b.store.save({ ...task, status: 'running', steps: [{ name: 'plan', status: 'completed', started_at: 'x' }] });
    // The crashed replica "dead" held it; its lease ran out a moment ago.
    expect(await b.store.claim('t-crashed', 'dead', new Date(Date.now() - 1000), new Date(Date.now() - 2000))).toBe(true);
    await b.manager.recover();
    await expect.poll(() => started.map((entry) => entry.taskId), { timeout: 5000 }).toEqual(['t-crashed']);
    expect((await b.store.get('t-crashed'))?.resumes).toBe(1);
  });

  it('leave a task alone while another replica holds a live lease', async () => {
    const b = await replica('b');
    const task = await b.store.create('t-held', { repository: 'atb/x', requirement: 'x' }, new Date());
    await b.store.save({ ...task, status: 'running' });
    expect(await b.store.claim('t-held', 'alive', new Date(Date.now() + 60_000), new Date())).toBe(true);
    await b.manager.recover();
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(started).toEqual([]);
    expect(await b.store.claim('t-held', 'b', new Date(Date.now() + 1000), new Date())).toBe(false);
  });
});
