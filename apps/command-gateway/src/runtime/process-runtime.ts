import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type ContainerDetails,
  type ContainerRuntime,
  type ContainerStats,
  type ContainerSummary,
  type EventSubscription,
  type EventSubscriptionOptions,
  type LogOptions,
  type OperationOptions,
  RuntimeNotFoundError,
  RuntimeOperationError,
  type RuntimeEvent,
  RuntimeUnavailableError,
} from './container-runtime.js';
import { followLines } from './event-follower.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

export interface ProcessRuntimeOptions {
  /** The control file `atb up` writes (`{ url, token }`, 0600); default `.data/atb/control.json`. */
  controlFile: string;
  /** Who the supervisor says restarted what; default `command-gateway`. */
  actor?: string;
}

/**
 * For machines with no container engine: the processes `atb up` supervises, controlled through
 * the supervisor's loopback control API (see `apps/cli/src/control-server.ts`). The control file
 * is read on every call, so a restarted `atb up` is picked up. Same errors as the Docker runtime:
 * {@link RuntimeNotFoundError}, {@link RuntimeUnavailableError} (naming `ATB_CONTROL_FILE`),
 * {@link RuntimeOperationError}; an aborted `signal` rejects with `signal.reason`.
 */
export class ProcessRuntime implements ContainerRuntime {
  readonly kind = 'process';
  readonly dedupesOperations = true;
  private readonly controlFile: string;
  private readonly actor: string;

  constructor(options: ProcessRuntimeOptions) {
    this.controlFile = resolve(options.controlFile);
    this.actor = options.actor ?? 'command-gateway';
  }

  async list(options: OperationOptions = {}): Promise<ContainerSummary[]> {
    const body = (await this.request('GET', '/v1/processes', undefined, options)) as { processes: ContainerDetails[] };
    return body.processes.map(({ id, name, image, state, status, labels }) => ({ id, name, image, state, status, labels }));
  }

  async inspect(name: string, options: OperationOptions = {}): Promise<ContainerDetails> {
    return (await this.request('GET', this.path(name), name, options)) as ContainerDetails;
  }

  async restart(name: string, options: OperationOptions = {}): Promise<void> {
    await this.request('POST', `${this.path(name)}/restart`, name, options, { timeout_seconds: graceSeconds(options), ...operationIdOf(options) });
  }

  async start(name: string, options: OperationOptions = {}): Promise<void> {
    await this.request('POST', `${this.path(name)}/start`, name, options, { ...operationIdOf(options) });
  }

  async stop(name: string, options: OperationOptions = {}): Promise<void> {
    await this.request('POST', `${this.path(name)}/stop`, name, options, { timeout_seconds: graceSeconds(options), ...operationIdOf(options) });
  }

  async logs(name: string, logOptions: LogOptions, options: OperationOptions = {}): Promise<string[]> {
    const tail = Math.max(1, Math.min(5000, Math.trunc(logOptions.tail)));
    const body = (await this.request('GET', `${this.path(name)}/logs?tail=${tail}`, name, options)) as { lines: string[] };
    return body.lines;
  }

  async stats(name: string, options: OperationOptions = {}): Promise<ContainerStats> {
    return (await this.request('GET', `${this.path(name)}/stats`, name, options)) as ContainerStats;
  }

  /**
   * The supervisor's `GET /v1/events` (newline-delimited JSON). The position is the supervisor's
   * id and the last sequence number seen: a reopened stream (the control API restarted, or a new
   * `atb up` wrote a new control file) replays what came after it, and a new supervisor's events
   * are all new.
   */
  subscribe(listener: (event: RuntimeEvent) => void, options: EventSubscriptionOptions = {}): EventSubscription {
    let supervisor: string | undefined;
    let position = 0;
    const endpoint = `ATB_CONTROL_FILE=${this.controlFile}`;
    return followLines({
      ...options,
      open: async (signal) => {
        const control = await this.readControlFile(endpoint);
        const query = supervisor === undefined ? '' : `?supervisor=${supervisor}&after=${position}`;
        let response: Response;
        try {
          response = await fetch(`${control.url}/v1/events${query}`, { headers: { authorization: `Bearer ${control.token}` }, signal });
        } catch (error) {
          throw new RuntimeUnavailableError(`${endpoint} (${control.url})`, describeFetchError(error));
        }
        if (!response.ok || !response.body) {
          await response.body?.cancel();
          throw new RuntimeUnavailableError(endpoint, `the supervisor answered ${response.status} to GET /v1/events`);
        }
        return response.body;
      },
      onLine: (line) => {
        const message = parseJson(line) as (Partial<RuntimeEvent> & { supervisor?: string; seq?: number; latest?: number }) | undefined;
        if (typeof message?.supervisor !== 'string') return;
        if (message.latest !== undefined) {
          if (message.supervisor !== supervisor) position = supervisor === undefined ? message.latest : 0;
          supervisor = message.supervisor;
          return;
        }
        if (message.supervisor !== supervisor || typeof message.seq !== 'number' || message.seq <= position) return;
        position = message.seq;
        const { supervisor: _supervisor, seq: _seq, ...event } = message;
        listener(event as RuntimeEvent);
      },
    });
  }

  async ping(options: OperationOptions = {}): Promise<boolean> {
    try {
      await this.request('GET', '/v1/ping', undefined, {
        signal: options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(3000)]) : AbortSignal.timeout(3000),
      });
      return true;
    } catch {
      return false;
    }
  }

  private path(name: string): string {
    if (!NAME.test(name)) throw new RuntimeNotFoundError(name);
    return `/v1/processes/${encodeURIComponent(name)}`;
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    name: string | undefined,
    options: OperationOptions,
    body?: Record<string, unknown>,
  ): Promise<unknown> {
    if (options.signal?.aborted) throw options.signal.reason;
    const endpoint = `ATB_CONTROL_FILE=${this.controlFile}`;
    const control = await this.readControlFile(endpoint);
    let response: Response;
    try {
      response = await fetch(`${control.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${control.token}`,
          'x-atb-actor': this.actor,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw new RuntimeUnavailableError(`${endpoint} (${control.url})`, describeFetchError(error));
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw new RuntimeUnavailableError(`${endpoint} (${control.url})`, describeFetchError(error));
    }
    const parsed = parseJson(text);
    if (response.ok && parsed !== undefined) return parsed;
    const message = (parsed as { message?: string } | undefined)?.message ?? text.slice(0, 200);
    if (response.status === 404 && name !== undefined) throw new RuntimeNotFoundError(name);
    if (response.status === 401) {
      throw new RuntimeUnavailableError(endpoint, `the supervisor refused the token (401): is the control file from this \`atb up\`?`);
    }
    throw new RuntimeOperationError(`the supervisor answered ${response.status}: ${message}`, response.status);
  }

  private async readControlFile(endpoint: string): Promise<{ url: string; token: string }> {
    let text: string;
    try {
      text = await readFile(this.controlFile, 'utf8');
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new RuntimeUnavailableError(
        endpoint,
        code === 'ENOENT' ? 'no control file: is `atb up` running (with the process runtime)?' : String(error),
      );
    }
    const parsed = parseJson(text) as { url?: unknown; token?: unknown } | undefined;
    if (typeof parsed?.url !== 'string' || !/^http:\/\/127\.0\.0\.1:\d+$/.test(parsed.url) || typeof parsed.token !== 'string') {
      throw new RuntimeUnavailableError(endpoint, 'the control file is not { "url": "http://127.0.0.1:<port>", "token": "…" }');
    }
    return { url: parsed.url, token: parsed.token };
  }
}

/** Whole seconds within the control API's 0..600. */
function graceSeconds(options: OperationOptions): number {
  return Math.min(600, Math.max(0, Math.ceil(options.timeoutSeconds ?? 10)));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code || cause?.message) return [cause.code, cause.message].filter(Boolean).join(': ');
  return error instanceof Error ? error.message : String(error);
}

/** The supervisor performs an operation once per `operation_id`. */
const operationIdOf = (options: OperationOptions): { operation_id?: string } => (options.operationId ? { operation_id: options.operationId } : {});
