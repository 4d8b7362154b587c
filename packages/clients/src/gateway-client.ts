import { readFileSync } from 'node:fs';
import {
  type AuditListResponse,
  type AuditVerificationContract,
  auditListResponseSchema,
  auditVerificationSchema,
  type ContainerEvent,
  containerEventSchema,
  type EventsMissed,
  eventsMissedSchema,
  type ExecuteCommandRequest,
  type ExecuteCommandResponse,
  executeCommandResponseSchema,
  type GatewayPolicyResponse,
  gatewayPolicyResponseSchema,
  type Priority,
} from '@atb/contracts';
import { ContractViolationError, parseAnswer, UpstreamRefusedError, UpstreamUnreachableError } from './client-errors.js';
import { fetchFailure, JsonClient, resolveToken, type TokenSource } from './json-client.js';
import { readServerSentEvents } from './sse.js';

/** One message of the gateway's `GET /events`: a container event (resume after its `id`), or a gap notice. */
export type GatewayStreamMessage = { kind: 'event'; event: ContainerEvent } | { kind: 'missed'; missed: EventsMissed };

export interface GatewayClientOptions {
  baseUrl: string;
  /** The `source_id` sent with every command. */
  sourceId: string;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Attempts on 5xx, 429, timeouts and connection errors; default 3. */
  attempts?: number;
  /** First backoff delay, doubled each retry; default 250 ms. */
  backoffMs?: number;
  /** A fixed token, or a function read per request (the development token file may appear later). */
  token: TokenSource;
}

/** What to ask the gateway: a target, an intent in words, context for the audit log, a priority. */
export interface GatewayCommand {
  target: string;
  intent: string;
  /** Free text or structured context; recorded in the gateway's audit log, never executed. */
  context: Record<string, unknown> | string;
  priority: Priority;
  /** Sent with every attempt: a retried request never executes twice. */
  idempotencyKey?: string;
  /** Answer the plan without executing it. */
  dryRun?: boolean;
}

/** Why a command got no gateway answer: unreachable, refused (4xx/5xx), or an answer that breaks the contract. */
export type GatewayFailureCode = 'upstream_unreachable' | 'upstream_refused' | 'contract_violation';

/** The gateway answered (any overall_status), or could not be reached / refused / answered outside the contract. */
export type GatewayResult =
  | { ok: true; response: ExecuteCommandResponse; attempts: number }
  | { ok: false; code: GatewayFailureCode; error: string; status?: number; field?: string; attempts: number; retryable: boolean };

/** Reads the development token file, if present. */
export function tokenFromFile(path: string): () => string | undefined {
  return () => {
    try {
      const token = readFileSync(path, 'utf8').trim();
      return token.length > 0 ? token : undefined;
    } catch {
      return undefined;
    }
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The command gateway client: `POST /execute-docker-command` with a bearer token, a timeout,
 * and retries with exponential backoff on 5xx, 429 and timeouts; every attempt carries the
 * same idempotency key. Other 4xx answers are not retried. Also the gateway's audit routes.
 *
 * @example
 * const gateway = new GatewayClient({ baseUrl, sourceId: 'devops-agent', timeoutMs: 30_000, token });
 * const result = await gateway.execute({ target: 'market-predictor', intent: 'restart it', context: {}, priority: 'HIGH', idempotencyKey });
 */
export class GatewayClient {
  private readonly http: JsonClient;

  constructor(private readonly options: GatewayClientOptions) {
    this.http = new JsonClient('command-gateway', { baseUrl: options.baseUrl, token: options.token, timeoutMs: options.timeoutMs });
  }

  async execute(command: GatewayCommand, signal?: AbortSignal): Promise<GatewayResult> {
    const request: ExecuteCommandRequest = {
      source_id: this.options.sourceId,
      target_resource: { name: command.target },
      action_request: { intent: command.intent, context: command.context, priority: command.priority },
      ...(command.dryRun ? { dry_run: true } : {}),
      ...(command.idempotencyKey ? { idempotency_key: command.idempotencyKey } : {}),
    };
    const body = JSON.stringify(request);
    const attempts = this.options.attempts ?? 3;
    let last: GatewayResult = { ok: false, code: 'upstream_unreachable', error: 'not attempted', attempts: 0, retryable: true };
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (attempt > 1) await sleep((this.options.backoffMs ?? 250) * 2 ** (attempt - 2));
      if (signal?.aborted) break;
      last = await this.attempt(body, attempt, signal);
      if (last.ok || !last.retryable) return last;
    }
    return last;
  }

  /** `GET /policy`: the gateway's effective policy for this client's `source_id` (targets, operations, rate-limit state). */
  policy(timeoutMs = this.options.timeoutMs): Promise<GatewayPolicyResponse> {
    return this.http.request('/policy', { schema: gatewayPolicyResponseSchema, query: { source_id: this.options.sourceId }, timeoutMs });
  }

  /** `GET /audit` of the gateway. */
  listAudit(query: Record<string, string | number | undefined> = {}): Promise<AuditListResponse> {
    return this.http.request('/audit', { schema: auditListResponseSchema, query });
  }

  /** `GET /audit/verify`: walks the gateway's hash chain. */
  verifyAudit(timeoutMs = 60_000): Promise<AuditVerificationContract> {
    return this.http.request('/audit/verify', { schema: auditVerificationSchema, statuses: [200, 409], timeoutMs });
  }

  /**
   * Follows `GET /events` until the gateway ends the stream or `signal` aborts; resumes after
   * `lastEventId`. Every message is parsed with the contract schema. Throws when the gateway
   * cannot be reached or refuses (401, 5xx); reconnecting is the caller's choice.
   */
  async *streamEvents(options: { lastEventId?: string | undefined; signal?: AbortSignal } = {}): AsyncGenerator<GatewayStreamMessage> {
    const route = 'GET /events';
    let response: Response;
    try {
      response = await fetch(this.http.url('/events'), {
        headers: this.http.headers({ accept: 'text/event-stream', ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}) }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      throw new UpstreamUnreachableError('command-gateway', `command-gateway at ${this.http.baseUrl} does not answer ${route}: ${fetchFailure(error)}`, { cause: error });
    }
    if (!response.ok || !response.body) {
      const body = (await response.json().catch(() => ({}))) as { message?: string; field?: string; error?: string };
      throw new UpstreamRefusedError('command-gateway', response.status, body, `command-gateway answered ${route} with ${response.status}: ${body.message ?? 'no message'}`);
    }
    for await (const message of readServerSentEvents(response.body)) {
      let json: unknown;
      try {
        json = JSON.parse(message.data);
      } catch {
        json = message.data;
      }
      if (message.event === 'events-missed') yield { kind: 'missed', missed: parseAnswer('command-gateway', `${route} (events-missed)`, eventsMissedSchema, json) };
      else yield { kind: 'event', event: parseAnswer('command-gateway', `${route} (${message.event})`, containerEventSchema, json) };
    }
  }

  private async attempt(body: string, attempt: number, signal?: AbortSignal): Promise<GatewayResult> {
    const token = resolveToken(this.options.token);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(new URL('/execute-docker-command', this.options.baseUrl), {
        method: 'POST',
        headers,
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      text = await response.text();
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const message = name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : fetchFailure(error);
      return { ok: false, code: 'upstream_unreachable', error: `gateway unreachable: ${message}`, attempts: attempt, retryable: true };
    }
    const refused = (error: string, retryable: boolean): GatewayResult => ({ ok: false, code: 'upstream_refused', error, status: response.status, attempts: attempt, retryable });
    if (response.status >= 500) return refused(`gateway answered ${response.status}: ${text.slice(0, 300)}`, true);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, code: 'contract_violation', error: `gateway answered ${response.status} with non-JSON`, status: response.status, attempts: attempt, retryable: false };
    }
    if (response.status >= 400) {
      const answer = json as { message?: string; field?: string };
      const field = answer.field ? ` (field ${answer.field})` : '';
      return { ...refused(`gateway refused (${response.status}): ${answer.message ?? text.slice(0, 300)}${field}`, response.status === 429), ...(answer.field ? { field: answer.field } : {}) };
    }
    try {
      return { ok: true, response: parseAnswer('command-gateway', 'POST /execute-docker-command', executeCommandResponseSchema, json), attempts: attempt };
    } catch (error) {
      if (!(error instanceof ContractViolationError)) throw error;
      const detail = `gateway response does not match the contract: ${error.message}`;
      return { ok: false, code: 'contract_violation', error: detail, status: response.status, ...(error.field ? { field: error.field } : {}), attempts: attempt, retryable: false };
    }
  }
}
