import { createHash } from 'node:crypto';
import {
  createTaskRequestSchema,
  createTaskResponseSchema,
  listTasksQuerySchema,
  type TaskView,
  taskIdParamsSchema,
  taskListResponseSchema,
  taskSchema,
} from '@atb/contracts';
import { NotAllowedError, NotFoundError, type Service, ValidationError } from '@atb/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FINAL_STATUSES, type NewTask, type Task, type TaskEvent } from '../tasks/task.js';
import type { TaskEvents } from '../tasks/task-events.js';
import type { TaskManager } from '../tasks/task-manager.js';
import type { TaskStore } from '../tasks/task-store.js';
import { assertMayLiftProtection } from './allowed-paths-rights.js';

export interface TaskRouteOptions {
  manager: TaskManager;
  store: TaskStore;
  events: TaskEvents;
  allowedRepositories: string[];
  /** ALLOW_CI_PATHS: whether allowed_paths may name CI paths at all (default false). */
  allowCiPaths?: boolean;
}

/** The task as the API shows it (the stored patch is summarised, not returned). */
export function presentTask(task: Task): TaskView {
  const { patch, ...rest } = task;
  return { ...rest, has_patch: patch !== undefined };
}

/**
 * The idempotency key of a `POST /tasks`: the `Idempotency-Key` header, or — for requests from
 * an incident, which the devops agent retries until one is accepted — the incident, repository
 * and requirement together. Without either, every request is a new task.
 */
export function idempotencyKey(header: string | string[] | undefined, body: NewTask): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined) {
    if (!/^[\x21-\x7e]{1,200}$/.test(value)) {
      throw new ValidationError('Idempotency-Key must be 1..200 visible ASCII characters', { field: 'headers.idempotency-key' });
    }
    return `key:${value}`;
  }
  if (body.incident_id === undefined) return undefined;
  const digest = createHash('sha256').update(JSON.stringify([body.repository, body.requirement, body.base_branch ?? ''])).digest('hex');
  return `incident:${body.incident_id}:${digest.slice(0, 32)}`;
}

function sse(event: TaskEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...event.data, task_id: event.task_id, timestamp: event.timestamp })}\n\n`;
}

/** `POST /tasks`, `GET /tasks`, `GET /tasks/:id`, `GET /tasks/:id/events` (SSE), `POST /tasks/:id/cancel`. */
export function registerTaskRoutes(service: Service, options: TaskRouteOptions): void {
  const { app } = service;
  const allowed = new Set(options.allowedRepositories);

  app.post(
    '/tasks',
    {
      schema: {
        tags: ['tasks'],
        summary:
          'Create a coding task: 202 with its id; poll GET /tasks/:id for status and pull_request.url. Idempotent by the Idempotency-Key header, or by incident_id + repository + requirement.',
        body: createTaskRequestSchema,
        response: { 202: createTaskResponseSchema },
      },
    },
    async (request, reply) => {
      if (!allowed.has(request.body.repository)) {
        throw new NotAllowedError(`repository "${request.body.repository}" is not in ALLOWED_REPOSITORIES`, { field: 'body.repository' });
      }
      assertMayLiftProtection(request.principal, request.body.allowed_paths ?? [], { allowCiPaths: options.allowCiPaths ?? false });
      const { task, duplicate } = await options.manager.submit(request.body, idempotencyKey(request.headers['idempotency-key'], request.body));
      return reply
        .status(202)
        .header('location', `/tasks/${task.task_id}`)
        .send({
          task_id: task.task_id,
          status: task.status,
          duplicate,
          links: { self: `/tasks/${task.task_id}`, events: `/tasks/${task.task_id}/events`, cancel: `/tasks/${task.task_id}/cancel` },
        });
    },
  );

  app.get('/tasks', { schema: { tags: ['tasks'], summary: 'List tasks, newest first', querystring: listTasksQuerySchema, response: { 200: taskListResponseSchema } } }, async (request) => {
    const tasks = await options.store.list({
      ...(request.query.status ? { status: [request.query.status] } : {}),
      ...(request.query.repository ? { repository: request.query.repository } : {}),
      limit: request.query.limit,
    });
    return {
      tasks: tasks.map((task) => ({
        task_id: task.task_id,
        repository: task.repository,
        requirement: task.requirement.slice(0, 200),
        status: task.status,
        created_at: task.created_at,
        updated_at: task.updated_at,
        incident_id: task.incident_id,
        pull_request: task.pull_request,
        reason: task.reason,
      })),
      running: options.manager.runningCount,
      queued: options.manager.queuedCount,
    };
  });

  app.get('/tasks/:id', { schema: { tags: ['tasks'], summary: 'A task with steps, plan, diff, tests, PR, tokens', params: taskIdParamsSchema, response: { 200: taskSchema } } }, async (request) => {
    const task = await options.store.get(request.params.id);
    if (!task) throw new NotFoundError(`no task ${request.params.id}`, { field: 'params.id' });
    return presentTask(task);
  });

  app.post('/tasks/:id/cancel', { schema: { tags: ['tasks'], summary: 'Cancel a queued or running task', params: taskIdParamsSchema, response: { 200: taskSchema } } }, async (request) =>
    presentTask(await options.manager.cancel(request.params.id)),
  );

  app.get(
    '/tasks/:id/events',
    { schema: { tags: ['tasks'], summary: 'Server-sent events: task-step-started/finished, task-log, task-done', params: taskIdParamsSchema } },
    async (request, reply) => streamTaskEvents(request, reply, options),
  );
}

/**
 * `GET /tasks/:id/events`: the task's history after `Last-Event-ID`, then live events, as
 * server-sent events; the stream ends after `task-done`.
 */
async function streamTaskEvents(
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
  options: Pick<TaskRouteOptions, 'store' | 'events'>,
): Promise<void> {
  const task = await options.store.get(request.params.id);
  if (!task) throw new NotFoundError(`no task ${request.params.id}`, { field: 'params.id' });
  const header = request.headers['last-event-id'];
  const afterSeq = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : 0;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': request.id,
  });
  let lastSeq = afterSeq;
  let ended = false;
  const buffered: TaskEvent[] = [];
  let replaying = true;
  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(heartbeat);
    raw.end();
  };
  const write = (event: TaskEvent) => {
    if (ended || event.seq <= lastSeq) return;
    lastSeq = event.seq;
    raw.write(sse(event));
    if (event.type === 'task-done') end();
  };
  const unsubscribe = options.events.subscribe(task.task_id, (event) => {
    if (replaying) buffered.push(event);
    else write(event);
  });
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
  request.raw.on('close', end);
  for (const event of await options.store.listEvents(task.task_id, afterSeq)) write(event);
  replaying = false;
  for (const event of buffered) write(event);
  const latest = await options.store.get(task.task_id);
  if (!ended && latest && FINAL_STATUSES.includes(latest.status)) {
    // The final status is saved just before task-done is published: give it a moment to
    // arrive through the subscription, then end the stream anyway.
    setTimeout(() => end(), 2000).unref();
  }
}
