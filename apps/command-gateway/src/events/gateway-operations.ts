import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  ContainerDetails,
  ContainerRuntime,
  ContainerStats,
  ContainerSummary,
  EventSubscription,
  EventSubscriptionOptions,
  LogOptions,
  OperationOptions,
  RollbackResult,
  RuntimeEvent,
} from '../runtime/container-runtime.js';

interface Performed {
  target: string;
  operation: 'restart' | 'start' | 'stop' | 'rollback';
  requestId: string;
  startedAt: number;
  settledAt?: number;
}

/** Lifecycle events a restart, stop or start causes. */
const CAUSED = new Set<RuntimeEvent['type']>(['container-started', 'container-stopped', 'container-died', 'container-restarted']);
/** An event up to this long before the call or after it settled still belongs to it (clocks, delivery). */
const SLACK_MS = 2000;
/**
 * A death or stop the operation caused happens before the call returns (a restart stops the
 * process, then starts it): one dated later than this after the call settled is a new failure,
 * even inside the slack. Event times are the engine's own, to the millisecond.
 */
const DEATH_AFTER_SETTLE_MS = 250;
const ENDINGS = new Set<RuntimeEvent['type']>(['container-died', 'container-stopped']);
/** How long a settled operation is remembered. */
const KEPT_MS = 60_000;

/**
 * Remembers the restarts, stops and starts the gateway itself carries out (target, request id,
 * from the call to its end), so the events they cause are marked `initiated_by: 'gateway'`.
 * The request id travels with the request's async context ({@link runAs}), so neither the
 * command service nor the executor has to pass it down.
 */
export class GatewayOperations {
  private readonly context = new AsyncLocalStorage<string>();
  private performed: Performed[] = [];

  /** Runs `work` as request `requestId`: runtime calls made inside it are recorded under that id. */
  runAs<T>(requestId: string, work: () => T): T {
    return this.context.run(requestId, work);
  }

  /** The runtime, with its restart, stop and start recorded. */
  wrap(runtime: ContainerRuntime): ContainerRuntime {
    return new RecordingRuntime(runtime, this);
  }

  /** The gateway request that caused the event, if one did. */
  initiatorOf(event: RuntimeEvent): { request_id: string; operation: string } | undefined {
    if (!CAUSED.has(event.type)) return undefined;
    const time = Date.parse(event.time);
    const now = Date.now();
    this.performed = this.performed.filter((entry) => entry.settledAt === undefined || now - entry.settledAt < KEPT_MS);
    const match = this.performed.findLast((entry) => entry.target === event.target && time >= entry.startedAt - SLACK_MS && time <= lastCaused(entry, event, now));
    return match ? { request_id: match.requestId, operation: match.operation } : undefined;
  }

  /** Records one call while it runs (only inside {@link runAs}: other callers are not the gateway's requests). */
  async record(target: string, operation: Performed['operation'], call: () => Promise<void>): Promise<void> {
    const requestId = this.context.getStore();
    if (requestId === undefined) return call();
    const entry: Performed = { target, operation, requestId, startedAt: Date.now() };
    this.performed.push(entry);
    try {
      await call();
    } finally {
      entry.settledAt = Date.now();
    }
  }
}

/** The latest time an event of this type can be the entry's doing. */
function lastCaused(entry: Performed, event: RuntimeEvent, now: number): number {
  if (entry.settledAt === undefined) return now + SLACK_MS;
  const restarts = entry.operation !== 'stop';
  return entry.settledAt + (restarts && ENDINGS.has(event.type) ? DEATH_AFTER_SETTLE_MS : SLACK_MS);
}

class RecordingRuntime implements ContainerRuntime {
  readonly kind: string;
  readonly dedupesOperations: boolean;
  rollback?: ContainerRuntime['rollback'];

  constructor(
    private readonly inner: ContainerRuntime,
    private readonly operations: GatewayOperations,
  ) {
    this.kind = inner.kind;
    this.dedupesOperations = inner.dedupesOperations ?? false;
    const rollback = inner.rollback?.bind(inner);
    if (rollback) {
      this.rollback = async (name, image, options) => {
        let result: RollbackResult | undefined;
        await this.operations.record(name, 'rollback', async () => {
          result = await rollback(name, image, options);
        });
        return result as RollbackResult;
      };
    }
  }

  list(options?: OperationOptions): Promise<ContainerSummary[]> {
    return this.inner.list(options);
  }
  inspect(name: string, options?: OperationOptions): Promise<ContainerDetails> {
    return this.inner.inspect(name, options);
  }
  restart(name: string, options?: OperationOptions): Promise<void> {
    return this.operations.record(name, 'restart', () => this.inner.restart(name, options));
  }
  start(name: string, options?: OperationOptions): Promise<void> {
    return this.operations.record(name, 'start', () => this.inner.start(name, options));
  }
  stop(name: string, options?: OperationOptions): Promise<void> {
    return this.operations.record(name, 'stop', () => this.inner.stop(name, options));
  }
  logs(name: string, logOptions: LogOptions, options?: OperationOptions): Promise<string[]> {
    return this.inner.logs(name, logOptions, options);
  }
  stats(name: string, options?: OperationOptions): Promise<ContainerStats> {
    return this.inner.stats(name, options);
  }
  subscribe(listener: (event: RuntimeEvent) => void, options?: EventSubscriptionOptions): EventSubscription {
    return this.inner.subscribe(listener, options);
  }
  ping(options?: OperationOptions): Promise<boolean> {
    return this.inner.ping(options);
  }
  // No close(): the gateway closes the runtime it wrapped.
}
