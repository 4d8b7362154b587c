import { readFileSync } from 'node:fs';
import {
  type ExecuteCommandRequest,
  type ExecuteCommandResponse,
  executeCommandResponseSchema,
  type Priority,
} from '@atb/contracts';

export interface GatewayClientOptions {
  baseUrl: string;
  sourceId: string;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Attempts on 5xx, timeouts and connection errors; default 3. */
  attempts?: number;
  /** First backoff delay, doubled each retry; default 250 ms. */
  backoffMs?: number;
  /** A fixed token, or a function read per request (the development token file may appear later). */
  token: string | (() => string | undefined) | undefined;
}

/** What the agent asks the gateway to do: an intent, rich context and a priority. */
export interface GatewayCommand {
  target: string;
  intent: string;
  context: Record<string, unknown>;
  priority: Priority;
  /** Sent with every attempt: a retried request never executes twice. */
  idempotencyKey: string;
}

/** The gateway answered (any overall_status), or could not be reached / answered garbage. */
export type GatewayResult =
  | { ok: true; response: ExecuteCommandResponse; attempts: number }
  | { ok: false; error: string; status?: number; attempts: number; retryable: boolean };

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
 * The command gateway client: `POST /execute-docker-command` with a bearer token,
 * a timeout, and retries with exponential backoff on 5xx and timeouts. Every attempt carries
 * the same idempotency key. 4xx answers are not retried.
 */
export class GatewayClient {
  constructor(private readonly options: GatewayClientOptions) {}

  async execute(command: GatewayCommand, signal?: AbortSignal): Promise<GatewayResult> {
    const request: ExecuteCommandRequest = {
      source_id: this.options.sourceId,
      target_resource: { name: command.target },
      action_request: { intent: command.intent, context: command.context, priority: command.priority },
      idempotency_key: command.idempotencyKey,
    };
    const body = JSON.stringify(request);
    const attempts = this.options.attempts ?? 3;
    let last: GatewayResult = { ok: false, error: 'not attempted', attempts: 0, retryable: true };
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (attempt > 1) await sleep((this.options.backoffMs ?? 250) * 2 ** (attempt - 2));
      if (signal?.aborted) break;
      last = await this.attempt(body, attempt, signal);
      if (last.ok || !last.retryable) return last;
    }
    return last;
  }

  private async attempt(body: string, attempt: number, signal?: AbortSignal): Promise<GatewayResult> {
    const token = typeof this.options.token === 'function' ? this.options.token() : this.options.token;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await fetch(new URL('/execute-docker-command', this.options.baseUrl), {
        method: 'POST',
        headers,
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await response.text();
      if (response.status >= 500) {
        return { ok: false, error: `gateway answered ${response.status}: ${text.slice(0, 300)}`, status: response.status, attempts: attempt, retryable: true };
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return { ok: false, error: `gateway answered ${response.status} with non-JSON`, status: response.status, attempts: attempt, retryable: false };
      }
      if (response.status >= 400) {
        const message = (json as { message?: string }).message ?? text.slice(0, 300);
        return { ok: false, error: `gateway refused (${response.status}): ${message}`, status: response.status, attempts: attempt, retryable: response.status === 429 };
      }
      const parsed = executeCommandResponseSchema.safeParse(json);
      if (!parsed.success) {
        return { ok: false, error: `gateway response does not match the contract: ${parsed.error.issues[0]?.message ?? ''}`, status: response.status, attempts: attempt, retryable: false };
      }
      return { ok: true, response: parsed.data, attempts: attempt };
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const message =
        name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      return { ok: false, error: `gateway unreachable: ${message}`, attempts: attempt, retryable: true };
    }
  }
}
