import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ExecuteCommandResponse, executeCommandRequestSchema, gatewayPolicyResponseSchema, OPERATIONS, type ParsedExecuteCommandRequest } from '@atb/contracts';
import { AuthenticationError, createBearerCheck, InputError, isOpenRoute, NotFoundError, toErrorResponse, ValidationError } from '@atb/service-kit';
import { GATEWAY_TOKEN } from './real-gateway.js';

/** How the scripted gateway answers the next valid, authenticated request with a new idempotency key. */
export type GatewayBehaviour =
  | { kind: 'success' }
  | { kind: 'error' }
  /** Answers this status; with `afterExecuting`, only after performing the operation (outcome unknown to the caller). */
  | { kind: 'status'; status: number; afterExecuting?: boolean }
  | { kind: 'hang' };

/** One request as received: every request is recorded, whatever it was answered. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The JSON body (`{}` when there was none or it did not parse). */
  body: Record<string, unknown>;
  authorization: string | undefined;
  receivedAt: number;
  /** The HTTP status it was answered with; `undefined` while unanswered (hang). */
  status?: number;
}

/** One operation the gateway performed (what a real gateway would have run on the engine). */
export interface Execution {
  /** The request's idempotency key, if it had one. */
  key: string | undefined;
  target: string;
  intent: string;
  context: ParsedExecuteCommandRequest['action_request']['context'];
  /** Index in {@link ScriptedGateway.requests} of the request that caused it. */
  request: number;
}

/**
 * A local HTTP server speaking the command gateway's wire contract, for the failures the real
 * gateway cannot be made to produce on cue (5xx, a hang after executing, an unknown outcome).
 * Like the real gateway it requires the bearer token on every path but probes and docs (401 naming
 * `headers.authorization`, before the body is looked at; this fake has no probes: 404), validates each body with the contract schema (422 naming the field;
 * 400 for bad JSON; 404 for other routes), answers a repeated `idempotency_key` with the first
 * answer without executing again. It records every command request received in {@link requests} and,
 * separately, every operation it performs in {@link executions}, so a test can tell "sent three
 * times, executed once" from "executed three times under three keys". `GET /policy` is counted in
 * {@link policyReads} instead: answered (contract-valid, every operation, `allowlist` as the
 * targets) when the test gave an allowlist, else 404 like a gateway that has no such route, or
 * with {@link policyStatus} when a test sets one. An agent that cannot read the policy runs
 * nothing on its own: a test of automatic actions gives the allowlist.
 */
export class ScriptedGateway {
  readonly requests: RecordedRequest[] = [];
  readonly executions: Execution[] = [];
  /** Authenticated `GET /policy` requests and the source each asked for. */
  readonly policyReads: string[] = [];
  private readonly allowlist: string[] | undefined;
  private readonly answers = new Map<string, ExecuteCommandResponse>();
  private readonly script: GatewayBehaviour[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly check: (authorization: string | undefined) => boolean;
  defaultBehaviour: GatewayBehaviour = { kind: 'success' };
  /** When set, an authenticated `GET /policy` answers this status (a policy store that is down: 503) instead of the policy. */
  policyStatus: number | undefined;
  /** How the analysis' evidence reads are answered (`success` with a running container, or `hang`). */
  evidenceBehaviour: { kind: 'success' } | { kind: 'hang' } = { kind: 'success' };
  /** What an evidence `inspect` answers. */
  evidenceInspect: Record<string, unknown> = { state: 'running', image: 'scripted' };
  /** Runs when an operation executes (e.g. restart the fake target). */
  onExecute: ((body: ParsedExecuteCommandRequest) => void | Promise<void>) | undefined;
  private server: Server | undefined;
  url = '';

  constructor(options: { token?: string; allowlist?: string[] } = {}) {
    this.check = createBearerCheck(options.token ?? GATEWAY_TOKEN);
    this.allowlist = options.allowlist;
  }

  /** Queues behaviours for the next requests that would execute. */
  queue(...behaviours: GatewayBehaviour[]): this {
    this.script.push(...behaviours);
    return this;
  }

  /** How many operations were performed, whatever their keys. */
  totalExecutions(): number {
    return this.executions.length;
  }

  /** The operations performed for requests whose context matches (e.g. `{ action_id }`). */
  executionsWith(context: Record<string, unknown>): Execution[] {
    return this.executions.filter((execution) => {
      const recorded = typeof execution.context === 'object' ? execution.context : {};
      return Object.entries(context).every(([field, value]) => recorded[field] === value);
    });
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The `POST /execute-docker-command` requests among `requests`, but the analysis' evidence reads (the agent also reads the policy and the event stream). */
  get executeRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.method === 'POST' && request.path === '/execute-docker-command' && !isEvidenceRead(request.body));
  }

  /** The analysis' read-only evidence requests (inspect, logs). */
  get evidenceRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.method === 'POST' && request.path === '/execute-docker-command' && isEvidenceRead(request.body));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // No event stream here (the agent's follower retries quietly); not a command, so not recorded.
    if (request.method === 'GET' && request.url?.split('?')[0] === '/events') {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found', message: 'no event stream' }));
      return;
    }
    if (request.method === 'GET' && (request.url ?? '').split('?')[0] === '/policy') {
      this.answerPolicy(request, response);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: (request.url ?? '/').split('?')[0] ?? '/',
      body: parseObject(text),
      authorization: request.headers.authorization,
      receivedAt: performance.now(),
    };
    this.requests.push(recorded);
    const send = (status: number, body: unknown) => {
      recorded.status = status;
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const refusal = this.refuse(request, recorded, text);
    if (refusal) {
      const { statusCode, body } = toErrorResponse(refusal);
      send(statusCode, body);
      return;
    }
    const parsed = executeCommandRequestSchema.parse(recorded.body);
    const key = parsed.idempotency_key;
    const known = key ? this.answers.get(key) : undefined;
    if (known) {
      send(200, known);
      return;
    }
    // Evidence reads answer with their own behaviour: the script is for the actions.
    if (isEvidenceRead(recorded.body)) {
      if (this.evidenceBehaviour.kind === 'hang') {
        this.hanging.add(response);
        return;
      }
      send(200, { request_id: `evidence-${this.requests.length}`, timestamp_processed_utc: new Date().toISOString(), overall_status: 'success', execution_details: { command: 'docker inspect', execution_result: this.evidenceInspect, execution_time_ms: 1 } });
      return;
    }
    // A dry run is validated, never executed (the agent asks whether a rollback would be granted).
    if (parsed.dry_run) {
      send(200, { request_id: `dry-run-${this.requests.length}`, timestamp_processed_utc: new Date().toISOString(), overall_status: 'success', execution_details: { command: 'dry run', execution_result: 'dry run: validated, not executed', execution_time_ms: 0 }, dry_run: true });
      return;
    }
    const behaviour = this.script.shift() ?? this.defaultBehaviour;
    if (behaviour.kind === 'status' && !behaviour.afterExecuting) {
      send(behaviour.status, { error: 'scripted', message: `scripted ${behaviour.status}` });
      return;
    }
    const answer = await this.execute(parsed, behaviour, this.requests.length - 1);
    if (behaviour.kind === 'status') {
      send(behaviour.status, { error: 'scripted', message: `scripted ${behaviour.status} after executing` });
      return;
    }
    if (behaviour.kind === 'hang') {
      // Executed, but never answers: the caller must not execute it again when it retries.
      this.hanging.add(response);
      return;
    }
    send(200, answer);
  }

  /** `GET /policy`: the effective policy of the asked source, validated against the contract before it is sent. */
  private answerPolicy(request: IncomingMessage, response: ServerResponse): void {
    const send = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (!this.check(request.headers.authorization)) {
      send(401, { error: 'unauthorized', field: 'headers.authorization', message: 'missing or invalid bearer token' });
      return;
    }
    const sourceId = new URL(request.url ?? '/', 'http://gateway').searchParams.get('source_id') ?? 'devops-agent';
    this.policyReads.push(sourceId);
    if (this.policyStatus !== undefined) {
      send(this.policyStatus, { error: 'unavailable', message: 'the policy cannot be read right now' });
      return;
    }
    if (!this.allowlist) {
      send(404, { error: 'not_found', field: 'url', message: 'no route GET /policy' });
      return;
    }
    send(
      200,
      gatewayPolicyResponseSchema.parse({
        source_id: sourceId,
        principal: { name: 'admin', kind: 'person', role: 'admin' },
        operations: [...OPERATIONS],
        targets: { names: this.allowlist, labels: {} },
        rate_limits: [],
        checked_at: new Date().toISOString(),
      }),
    );
  }

  /** Why the real gateway would refuse this request (in its order: token, route, JSON, schema), if it would. */
  private refuse(request: IncomingMessage, recorded: RecordedRequest, text: string): Error | undefined {
    if (!isOpenRoute(recorded.path) && !this.check(recorded.authorization)) {
      return new AuthenticationError(recorded.authorization ? 'invalid bearer token' : 'missing bearer token: send Authorization: Bearer <token>', {
        field: 'headers.authorization',
      });
    }
    if (request.method !== 'POST' || recorded.path !== '/execute-docker-command') {
      return new NotFoundError(`no route ${request.method} ${recorded.path}`, { field: 'url' });
    }
    if (!isJsonObjectText(text)) return new InputError('request body is not valid JSON', { field: 'body' });
    const result = executeCommandRequestSchema.safeParse(recorded.body);
    if (result.success) return undefined;
    const issue = result.error.issues[0];
    const field = ['body', ...(issue?.path ?? []).map(String)].join('.');
    return new ValidationError(`${field}: ${issue?.message ?? 'invalid value'}`, { field });
  }

  private async execute(request: ParsedExecuteCommandRequest, behaviour: GatewayBehaviour, index: number): Promise<ExecuteCommandResponse> {
    const key = request.idempotency_key;
    const target = request.target_resource.name;
    this.executions.push({ key, target, intent: request.action_request.intent, context: request.action_request.context, request: index });
    if (behaviour.kind !== 'error') await this.onExecute?.(request);
    const operation = request.action_request.intent.split(' ')[0] ?? 'inspect';
    const answer: ExecuteCommandResponse = {
      request_id: `req-${index + 1}`,
      timestamp_processed_utc: new Date().toISOString(),
      overall_status: behaviour.kind === 'error' ? 'error' : 'success',
      execution_details: {
        command: `docker ${operation} ${target}`,
        execution_result: behaviour.kind === 'error' ? 'scripted failure' : { ok: true },
        execution_time_ms: 1,
      },
    };
    if (key) this.answers.set(key, answer);
    return answer;
  }
}

function isJsonObjectText(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function parseObject(text: string): Record<string, unknown> {
  return isJsonObjectText(text) ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Evidence reads say so in their context (`evidence-sources.ts`). */
function isEvidenceRead(body: Record<string, unknown>): boolean {
  const context = (body.action_request as { context?: { reason?: unknown } } | undefined)?.context;
  return typeof context === 'object' && context !== null && context.reason === 'evidence (read-only)';
}
