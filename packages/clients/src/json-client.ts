import { errorBodySchema } from '@atb/contracts';
import type { z } from 'zod';
import { parseAnswer, type UpstreamErrorBody, UpstreamRefusedError, UpstreamUnreachableError } from './client-errors.js';

/** A bearer token: fixed, or read per request (a token file the service writes may appear later). */
export type TokenSource = string | (() => string | undefined) | undefined;

export interface ServiceClientOptions {
  /** The service's base URL, e.g. `http://127.0.0.1:8001`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. */
  token?: TokenSource;
  /** Per-request timeout in milliseconds; default 10 000. */
  timeoutMs?: number;
}

export interface RequestOptions<Schema extends z.ZodType> {
  method?: 'GET' | 'POST' | 'DELETE';
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined> | undefined;
  body?: unknown;
  headers?: Record<string, string>;
  /** The contract schema of a successful answer. */
  schema: Schema;
  /** Statuses whose body follows `schema` (default: any 2xx). */
  statuses?: readonly number[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Reads a token source now. */
export function resolveToken(token: TokenSource): string | undefined {
  return typeof token === 'function' ? token() : token;
}

/** The cause's message of a failed fetch (`ECONNREFUSED …`), or the error's own. */
export function fetchFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as Error | undefined;
  return cause?.message ?? error.message;
}

/**
 * One JSON request to one service: bearer token, timeout, the answer parsed with the shared
 * contract schema. Never guesses: an unreachable service, an error status and an answer that
 * breaks the contract are three distinct errors with codes (`client-errors.ts`).
 */
export class JsonClient {
  readonly baseUrl: string;

  constructor(
    /** The service's name in error messages (`devops-agent`). */
    readonly service: string,
    private readonly options: ServiceClientOptions,
  ) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** The URL of `path` with `query`. */
  url(path: string, query?: RequestOptions<z.ZodType>['query']): URL {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  /** Headers of every request: the token when there is one, plus `extra`. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = resolveToken(this.options.token);
    return { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
  }

  async request<Schema extends z.ZodType>(path: string, options: RequestOptions<Schema>): Promise<z.output<Schema>> {
    const method = options.method ?? 'GET';
    const route = `${method} ${path}`;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 10_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(this.url(path, options.query), {
        method,
        headers: this.headers({ ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers }),
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const reason = timedOut ? `no answer within ${timeoutMs} ms` : fetchFailure(error);
      throw new UpstreamUnreachableError(this.service, `${this.service} at ${this.baseUrl} does not answer ${route}: ${reason}`, { timedOut, cause: error });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    const expected = options.statuses ? options.statuses.includes(response.status) : response.ok;
    if (!expected) throw refusal(this.service, route, response.status, body, text);
    if (body === undefined && text !== '') {
      return parseAnswer(this.service, route, options.schema, text);
    }
    return parseAnswer(this.service, route, options.schema, body);
  }
}

function refusal(service: string, route: string, status: number, body: unknown, text: string): UpstreamRefusedError {
  const parsed = errorBodySchema.safeParse(body);
  const errorBody: UpstreamErrorBody = parsed.success ? parsed.data : { message: text.slice(0, 300) };
  const field = errorBody.field ? ` (field ${errorBody.field})` : '';
  return new UpstreamRefusedError(service, status, errorBody, `${service} answered ${route} with ${status}: ${errorBody.message || 'no message'}${field}`);
}
