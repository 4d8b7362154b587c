/**
 * Where the gateway's operations are carried out: the Docker Engine API (Docker or Podman)
 * or, on machines with no engine, the processes `atb up` supervises. Every implementation
 * passes the one contract suite in `test/runtime.contract.ts`.
 */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  labels: Record<string, string>;
}

export interface ContainerDetails extends ContainerSummary {
  started_at: string;
  /**
   * Docker: restarts done by the engine's restart policy (a manual restart does not count);
   * process runtime: restarts through the control API.
   */
  restart_count: number;
  pid?: number;
  exit_code?: number;
}

export interface ContainerStats {
  cpu_percent: number;
  memory_bytes: number;
  memory_limit_bytes: number;
  pids?: number;
}

export interface LogOptions {
  /** Lines from the end, 1..5,000. */
  tail: number;
  since?: string;
}

export interface OperationOptions {
  /**
   * Aborts the operation: the promise then rejects with `signal.reason` (for
   * `AbortSignal.timeout(ms)` a `TimeoutError` DOMException), so the caller can answer `timeout`.
   */
  signal?: AbortSignal;
  /** Seconds to wait for a graceful stop before killing (restart/stop). */
  timeoutSeconds?: number;
}

export interface ContainerRuntime {
  /** `docker` or `process`: shown in /status and by `atb up`. */
  readonly kind: string;
  list(options?: OperationOptions): Promise<ContainerSummary[]>;
  inspect(name: string, options?: OperationOptions): Promise<ContainerDetails>;
  restart(name: string, options?: OperationOptions): Promise<void>;
  start(name: string, options?: OperationOptions): Promise<void>;
  stop(name: string, options?: OperationOptions): Promise<void>;
  logs(name: string, logOptions: LogOptions, options?: OperationOptions): Promise<string[]>;
  stats(name: string, options?: OperationOptions): Promise<ContainerStats>;
  /** Whether the engine answers; for /health. */
  ping(options?: OperationOptions): Promise<boolean>;
  close?(): Promise<void>;
}

/** Thrown by runtimes when the named container or process does not exist. */
export class RuntimeNotFoundError extends Error {
  constructor(readonly target: string) {
    super(`no container or process named "${target}"`);
    this.name = 'RuntimeNotFoundError';
  }
}

/**
 * Thrown by runtimes when the engine (the Docker Engine API, or `atb up`'s control API) cannot
 * be reached or drops the connection; the message names the endpoint (e.g. `DOCKER_HOST=unix:///…`).
 * The gateway answers `error` with this message and stays up.
 */
export class RuntimeUnavailableError extends Error {
  constructor(
    readonly endpoint: string,
    detail: string,
  ) {
    super(`container engine unreachable at ${endpoint}: ${detail}`);
    this.name = 'RuntimeUnavailableError';
  }
}

/**
 * Thrown by runtimes when the engine answers with an error of its own (a 4xx/5xx other than
 * "not found"), e.g. "container already stopped" or "cannot restart"; `status` is the engine's
 * HTTP status when there is one.
 */
export class RuntimeOperationError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RuntimeOperationError';
  }
}
