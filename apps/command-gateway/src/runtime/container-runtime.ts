import type { ContainerEventType } from '@atb/contracts';
import type { RollbackResult } from './docker-rollback.js';

export type { RollbackResult } from './docker-rollback.js';

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
  /** The engine's id of the image it runs (Docker); what the image history records. */
  image_id?: string;
  /** Killed by the kernel for memory (Docker's `State.OOMKilled`). */
  oom_killed?: boolean;
}

/** The image a rollback recreates the container from (from the gateway's image history). */
export interface RollbackImage {
  image: string;
  image_id: string;
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
  /**
   * restart/start/stop: the gateway request's id. A runtime that {@link ContainerRuntime.dedupesOperations}
   * performs an operation once per id and answers a repeat with the first outcome; others ignore it.
   */
  operationId?: string;
}

/** One lifecycle change as a runtime reports it, before the gateway filters and numbers it. */
export interface RuntimeEvent {
  type: ContainerEventType;
  target: string;
  container_id: string;
  /** When the engine saw it (ISO 8601). */
  time: string;
  /** The container's labels (to match label allowlist entries). */
  labels: Record<string, string>;
  exit_code?: number;
  health_status?: string;
}

export interface EventSubscriptionOptions {
  /** The stream broke or could not be opened; the runtime retries with backoff by itself. */
  onError?(error: Error): void;
  /** The stream is (again) open: events from here on, and any missed while away, follow. */
  onConnected?(): void;
}

export interface EventSubscription {
  close(): Promise<void>;
}

export interface ContainerRuntime {
  /** `docker` or `process`: shown in /status and by `atb up`. */
  readonly kind: string;
  /**
   * True when the engine performs a restart, start or stop once per `operationId` (the process
   * runtime: `atb up`'s supervisor remembers the ids). The Docker Engine API has no such id.
   */
  readonly dedupesOperations?: boolean;
  list(options?: OperationOptions): Promise<ContainerSummary[]>;
  inspect(name: string, options?: OperationOptions): Promise<ContainerDetails>;
  restart(name: string, options?: OperationOptions): Promise<void>;
  start(name: string, options?: OperationOptions): Promise<void>;
  stop(name: string, options?: OperationOptions): Promise<void>;
  logs(name: string, logOptions: LogOptions, options?: OperationOptions): Promise<string[]>;
  stats(name: string, options?: OperationOptions): Promise<ContainerStats>;
  /**
   * Recreates the container from `image` with the same configuration (name, ports,
   * environment, mounts, labels, restart policy); the target is left as it was when it fails.
   * Absent where a runtime has no images (the process runtime): rollback is then rejected.
   */
  rollback?(name: string, image: RollbackImage, options?: OperationOptions): Promise<RollbackResult>;
  /**
   * Follows lifecycle events of every container or process (the caller filters): started,
   * stopped, died (with exit code), restarted, OOM, health changes. Only events after the call
   * are delivered. When the engine restarts or the stream breaks, the runtime reconnects with
   * backoff and resumes where it stopped: no event is lost (as long as the engine kept it) or
   * delivered twice.
   */
  subscribe(listener: (event: RuntimeEvent) => void, options?: EventSubscriptionOptions): EventSubscription;
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
