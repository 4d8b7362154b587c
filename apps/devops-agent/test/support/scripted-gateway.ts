import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecuteCommandResponse } from '@atb/contracts';

/** How the scripted gateway answers the next request. */
export type GatewayBehaviour =
  | { kind: 'success' }
  | { kind: 'error' }
  | { kind: 'status'; status: number }
  | { kind: 'hang' };

export interface RecordedRequest {
  body: Record<string, unknown>;
  authorization: string | undefined;
  receivedAt: number;
}

/**
 * A local HTTP server speaking the command gateway's wire contract (`POST /execute-docker-command`):
 * it records requests, honours `idempotency_key` like the real gateway (the first response is
 * returned for a repeated key, and the operation runs once), counts executions per key, and
 * follows a script of behaviours (success, error, 5xx, hang).
 */
export class ScriptedGateway {
  readonly requests: RecordedRequest[] = [];
  readonly executions = new Map<string, number>();
  private readonly answers = new Map<string, ExecuteCommandResponse>();
  private readonly script: GatewayBehaviour[] = [];
  private readonly hanging = new Set<ServerResponse>();
  defaultBehaviour: GatewayBehaviour = { kind: 'success' };
  /** Runs when an operation executes (e.g. restart the fake target). */
  onExecute: ((body: Record<string, unknown>) => void | Promise<void>) | undefined;
  private server: Server | undefined;
  url = '';

  /** Queues behaviours for the next requests. */
  queue(...behaviours: GatewayBehaviour[]): this {
    this.script.push(...behaviours);
    return this;
  }

  totalExecutions(): number {
    return [...this.executions.values()].reduce((sum, count) => sum + count, 0);
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

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== 'POST' || request.url !== '/execute-docker-command') {
      response.writeHead(404).end();
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    this.requests.push({ body, authorization: request.headers.authorization, receivedAt: performance.now() });
    const key = typeof body.idempotency_key === 'string' ? body.idempotency_key : undefined;
    const known = key ? this.answers.get(key) : undefined;
    if (known) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(known));
      return;
    }
    const behaviour = this.script.shift() ?? this.defaultBehaviour;
    if (behaviour.kind === 'status') {
      response.writeHead(behaviour.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'scripted', message: `scripted ${behaviour.status}` }));
      return;
    }
    const action = body.action_request as { intent: string };
    const operation = action.intent.split(' ')[0] ?? 'inspect';
    const target = (body.target_resource as { name: string }).name;
    const execute = async (): Promise<ExecuteCommandResponse> => {
      if (key) this.executions.set(key, (this.executions.get(key) ?? 0) + 1);
      if (behaviour.kind !== 'error') await this.onExecute?.(body);
      const answer: ExecuteCommandResponse = {
        request_id: `req-${this.requests.length}`,
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
    };
    if (behaviour.kind === 'hang') {
      // Executes, but never answers: the caller must not execute it again when it retries.
      await execute();
      this.hanging.add(response);
      return;
    }
    const answer = await execute();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }
}
