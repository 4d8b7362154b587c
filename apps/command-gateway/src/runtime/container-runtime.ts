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
