import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlWorkQueue } from '@atb/queue';
import { openDatabase } from '@atb/storage';
import { createService } from '@atb/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerTaskRoutes } from '../src/api/task-routes.js';
import { readConfig } from '../src/config.js';
import { KyselyTaskStore } from '../src/tasks/kysely-task-store.js';
import type { Task } from '../src/tasks/task.js';
import { TaskEvents } from '../src/tasks/task-events.js';
import { TaskManager } from '../src/tasks/task-manager.js';
import type { TaskStore } from '../src/tasks/task-store.js';

/** A runner whose tasks finish when the test says so (a fake workflow, not a mock). */
class ControlledRunner {
  readonly started: string[] = [];
  private readonly finishers = new Map<string, () => void>();

  constructor(private readonly store: TaskStore) {}

  run = async (task: Task, signal: AbortSignal): Promise<void> => {
    this.started.push(task.task_id);
    await this.store.save({ ...task, status: 'running' });
    await new Promise<void>((resolve) => {
      this.finishers.set(task.task_id, resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const latest = (await this.store.get(task.task_id)) as Task;
    await this.store.save({ ...latest, status: signal.aborted ? 'cancelled' : 'completed', reason: signal.aborted ? 'cancelled on request' : undefined });
  };

  finish(taskId: string): void {
    this.finishers.get(taskId)?.();
  }
}

describe('task API', () => {
  let directory: string;
  let store: TaskStore;
  let runner: ControlledRunner;
  let manager: TaskManager;
  let service: Awaited<ReturnType<typeof createService>>;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'atb-task-api-'));
    const database = openDatabase(join(directory, 'tasks.sqlite'));
    store = await KyselyTaskStore.open(database);
    const events = new TaskEvents(store);
    runner = new ControlledRunner(store);
    manager = new TaskManager(store, await SqlWorkQueue.open(database, 'coding-tasks'), events, runner.run, {
      maxConcurrent: 1,
      maxResumes: 1,
      pollIntervalMs: 50,
    });
    const config = readConfig({ LOG_LEVEL: 'silent' });
    service = await createService({ name: 'coding-agent', version: 'test', config, logger: false });
    registerTaskRoutes(service, { manager, store, events, allowedRepositories: ['atb/market-predictor'] });
  });
  afterEach(async () => {
    await manager.close();
    await service.close();
    await store.close();
    await rm(directory, { recursive: true, force: true });
  });

  const post = (payload: unknown) => service.app.inject({ method: 'POST', url: '/tasks', payload: payload as object });

  it.each([
    [{ requirement: 'x' }, 'body.repository'],
    [{ repository: 'not a repo', requirement: 'x' }, 'body.repository'],
    [{ repository: 'atb/market-predictor', requirement: '   ' }, 'body.requirement'],
    [{ repository: 'atb/market-predictor', requirement: 'x', base_branch: '../main' }, 'body.base_branch'],
    [{ repository: 'atb/market-predictor', requirement: 'x', allowed_paths: ['../etc'] }, 'body.allowed_paths.0'],
  ])('answers 422 naming the field for %j', async (payload, field) => {
    const response = await post(payload);
    expect(response.statusCode).toBe(422);
    expect(response.json().field).toBe(field);
    expect(await store.list()).toEqual([]);
  });

  it('answers 403 for a repository outside ALLOWED_REPOSITORIES', async () => {
    const response = await post({ repository: 'someone/else', requirement: 'x' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ field: 'body.repository' });
  });

  it('accepts a task with 202, queues beyond MAX_CONCURRENT_TASKS, shows and lists it', async () => {
    const first = await post({ repository: 'atb/market-predictor', requirement: 'one', incident_id: 'inc-1' });
    const second = await post({ repository: 'atb/market-predictor', requirement: 'two' });
    expect(first.statusCode).toBe(202);
    expect(first.headers.location).toBe(`/tasks/${first.json().task_id}`);
    const [firstId, secondId] = [first.json().task_id as string, second.json().task_id as string];
    await expect.poll(() => runner.started).toEqual([firstId]);
    const listed = (await service.app.inject({ method: 'GET', url: '/tasks' })).json();
    expect(listed).toMatchObject({ running: 1, queued: 1 });
    expect(listed.tasks.map((task: Task) => task.task_id)).toEqual([secondId, firstId]);
    const shown = (await service.app.inject({ method: 'GET', url: `/tasks/${firstId}` })).json();
    expect(shown).toMatchObject({ task_id: firstId, incident_id: 'inc-1', status: 'running', tokens: { total: 0 } });
    runner.finish(firstId);
    await expect.poll(() => runner.started).toEqual([firstId, secondId]);
    expect((await service.app.inject({ method: 'GET', url: `/tasks?status=completed` })).json().tasks).toHaveLength(1);
  });

  it('is idempotent: a retried incident request or a repeated Idempotency-Key returns the first task', async () => {
    const body = { repository: 'atb/market-predictor', requirement: 'fix it', incident_id: 'inc-7' };
    const first = await post(body);
    const again = await post(body);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ task_id: first.json().task_id, duplicate: true });
    expect(first.json().duplicate).toBe(false);
    const otherRequirement = await post({ ...body, requirement: 'something else' });
    expect(otherRequirement.json().task_id).not.toBe(first.json().task_id);

    const keyed = (payload: object, key: string) =>
      service.app.inject({ method: 'POST', url: '/tasks', payload, headers: { 'idempotency-key': key } });
    const one = await keyed({ repository: 'atb/market-predictor', requirement: 'x' }, 'abc-1');
    const two = await keyed({ repository: 'atb/market-predictor', requirement: 'x' }, 'abc-1');
    expect(two.json().task_id).toBe(one.json().task_id);
    const plain = [await post({ repository: 'atb/market-predictor', requirement: 'x' }), await post({ repository: 'atb/market-predictor', requirement: 'x' })];
    expect(plain[0]?.json().task_id).not.toBe(plain[1]?.json().task_id);
    expect((await store.list()).length).toBe(5);
    const bad = await keyed({ repository: 'atb/market-predictor', requirement: 'x' }, 'spaces are not allowed');
    expect(bad.statusCode).toBe(422);
    expect(bad.json().field).toBe('headers.idempotency-key');
  });

  it('cancels queued and running tasks; a finished task is a 409; an unknown one a 404', async () => {
    const running = (await post({ repository: 'atb/market-predictor', requirement: 'one' })).json().task_id as string;
    const queued = (await post({ repository: 'atb/market-predictor', requirement: 'two' })).json().task_id as string;
    await expect.poll(() => runner.started).toEqual([running]);
    const cancelQueued = await service.app.inject({ method: 'POST', url: `/tasks/${queued}/cancel` });
    expect(cancelQueued.json()).toMatchObject({ status: 'cancelled', reason: 'cancelled on request' });
    const cancelRunning = await service.app.inject({ method: 'POST', url: `/tasks/${running}/cancel` });
    expect(cancelRunning.json()).toMatchObject({ status: 'cancelled' });
    expect(runner.started).toEqual([running]);
    expect((await service.app.inject({ method: 'POST', url: `/tasks/${running}/cancel` })).statusCode).toBe(409);
    expect((await service.app.inject({ method: 'GET', url: '/tasks/nope' })).statusCode).toBe(404);
    expect((await service.app.inject({ method: 'GET', url: '/tasks/bad%20id' })).json().field).toBe('params.id');
  });

  it('streams events as server-sent events and ends after task-done', async () => {
    const taskId = (await post({ repository: 'atb/market-predictor', requirement: 'one' })).json().task_id as string;
    await service.app.inject({ method: 'POST', url: `/tasks/${taskId}/cancel` });
    const response = await service.app.inject({ method: 'GET', url: `/tasks/${taskId}/events` });
    expect(response.headers['content-type']).toMatch(/text\/event-stream/);
    expect(response.body).toMatch(/^id: \d+\nevent: task-status-changed\ndata: \{"status":"queued"/);
    const lastId = /id: (\d+)\nevent: task-status-changed/.exec(response.body)?.[1];
    const resumed = await service.app.inject({ method: 'GET', url: `/tasks/${taskId}/events`, headers: { 'last-event-id': lastId } });
    expect(resumed.body).not.toMatch(/"status":"queued"/);
  });
});
