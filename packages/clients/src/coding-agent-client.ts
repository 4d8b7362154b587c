import {
  type AuditVerificationContract,
  auditVerificationSchema,
  type CreateTaskRequest,
  type CreateTaskResponse,
  createTaskResponseSchema,
  type ListTasksQuery,
  type TaskEventData,
  type TaskListResponse,
  type TaskView,
  taskEventDataSchema,
  taskListResponseSchema,
  taskSchema,
} from '@atb/contracts';
import { parseAnswer, UpstreamRefusedError, UpstreamUnreachableError } from './client-errors.js';
import { fetchFailure, JsonClient, type ServiceClientOptions } from './json-client.js';
import { readServerSentEvents } from './sse.js';

/** One server-sent event of a task's stream. */
export interface TaskStreamEvent {
  /** `task-step-started`, `task-step-finished`, `task-log`, `task-status-changed`, `task-done`. */
  type: string;
  /** The event's sequence number (send it back as Last-Event-ID to resume). */
  id: number | undefined;
  data: TaskEventData;
}

const segment = (id: string) => encodeURIComponent(id);

/**
 * The coding agent's task API, typed by the shared contract: create, list, show, cancel, and
 * the progress stream.
 *
 * @example
 * const coding = new CodingAgentClient({ baseUrl: 'http://127.0.0.1:8002' });
 * const { task_id } = await coding.createTask({ repository: 'atb/market-predictor', requirement: 'fix it' });
 */
export class CodingAgentClient {
  readonly http: JsonClient;

  constructor(options: ServiceClientOptions) {
    this.http = new JsonClient('coding-agent', options);
  }

  /** `POST /tasks` (202). An idempotency key makes a retried request return the first task. */
  createTask(body: CreateTaskRequest, options: { idempotencyKey?: string } = {}): Promise<CreateTaskResponse> {
    return this.http.request('/tasks', {
      method: 'POST',
      body,
      schema: createTaskResponseSchema,
      statuses: [202],
      ...(options.idempotencyKey ? { headers: { 'idempotency-key': options.idempotencyKey } } : {}),
    });
  }

  listTasks(query: ListTasksQuery = {}): Promise<TaskListResponse> {
    return this.http.request('/tasks', { schema: taskListResponseSchema, query });
  }

  getTask(id: string): Promise<TaskView> {
    return this.http.request(`/tasks/${segment(id)}`, { schema: taskSchema });
  }

  /** `GET /audit/verify`: 200 when the task audit chain is intact, 409 (same shape) when it is broken. */
  verifyAudit(): Promise<AuditVerificationContract> {
    return this.http.request('/audit/verify', { schema: auditVerificationSchema, statuses: [200, 409], timeoutMs: 60_000 });
  }

  cancelTask(id: string): Promise<TaskView> {
    return this.http.request(`/tasks/${segment(id)}/cancel`, { method: 'POST', schema: taskSchema });
  }

  /**
   * Follows `GET /tasks/:id/events` until the server ends the stream (after `task-done`).
   * Each event's data is parsed with the contract schema.
   */
  async *streamEvents(id: string, options: { lastEventId?: number; signal?: AbortSignal } = {}): AsyncGenerator<TaskStreamEvent> {
    const route = `GET /tasks/${id}/events`;
    let response: Response;
    try {
      response = await fetch(this.http.url(`/tasks/${segment(id)}/events`), {
        headers: this.http.headers({ accept: 'text/event-stream', ...(options.lastEventId ? { 'last-event-id': String(options.lastEventId) } : {}) }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      throw new UpstreamUnreachableError('coding-agent', `coding-agent at ${this.http.baseUrl} does not answer ${route}: ${fetchFailure(error)}`, { cause: error });
    }
    if (!response.ok || !response.body) {
      const body = (await response.json().catch(() => ({}))) as { message?: string; field?: string; error?: string };
      throw new UpstreamRefusedError('coding-agent', response.status, body, `coding-agent answered ${route} with ${response.status}: ${body.message ?? 'no message'}`);
    }
    for await (const message of readServerSentEvents(response.body)) {
      const type = message.event;
      const sequence = message.id !== undefined && /^\d+$/.test(message.id) ? message.id : undefined;
      let json: unknown;
      try {
        json = JSON.parse(message.data);
      } catch {
        json = message.data;
      }
      yield { type, id: sequence === undefined ? undefined : Number(sequence), data: parseAnswer('coding-agent', `${route} (${type})`, taskEventDataSchema, json) };
    }
  }
}
