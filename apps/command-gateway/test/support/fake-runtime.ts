import {
  type ContainerDetails,
  type ContainerRuntime,
  type ContainerStats,
  type ContainerSummary,
  type EventSubscription,
  type LogOptions,
  type OperationOptions,
  type RuntimeEvent,
  RuntimeNotFoundError,
} from '../../src/runtime/container-runtime.js';

export interface RecordedCall {
  method: string;
  name?: string;
  tail?: number;
}

interface FakeContainer {
  name: string;
  labels: Record<string, string>;
  state: 'running' | 'exited';
  startedAt: string;
  restarts: number;
}

/**
 * An in-memory container engine for unit tests: a fake of the dependency (the engine), not of
 * the gateway. It records every call, so a test can assert that nothing was executed, and can
 * be told to hang (until aborted) or fail, to exercise timeouts and engine errors.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly kind = 'fake';
  readonly calls: RecordedCall[] = [];
  /** Operations that never finish until their signal aborts. */
  hang = new Set<string>();
  /** Operations that fail with this error. */
  fail = new Map<string, Error>();
  /** Milliseconds each mutating operation takes. */
  delayMs = 0;
  private readonly containers = new Map<string, FakeContainer>();

  constructor(containers: { name: string; labels?: Record<string, string> }[] = [{ name: 'market-predictor' }]) {
    for (const container of containers) {
      this.containers.set(container.name, {
        name: container.name,
        labels: container.labels ?? {},
        state: 'running',
        startedAt: new Date().toISOString(),
        restarts: 0,
      });
    }
  }

  /** Calls that change state (restart, start, stop). */
  mutations(): RecordedCall[] {
    return this.calls.filter((call) => ['restart', 'start', 'stop'].includes(call.method));
  }

  private async enter(method: string, name: string | undefined, options?: OperationOptions, tail?: number) {
    this.calls.push({ method, ...(name === undefined ? {} : { name }), ...(tail === undefined ? {} : { tail }) });
    const failure = this.fail.get(method);
    if (failure) throw failure;
    if (this.hang.has(method)) {
      await new Promise<void>((_resolve, reject) => {
        options?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    }
    if (this.delayMs > 0 && ['restart', 'start', 'stop'].includes(method)) {
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    }
    if (name === undefined) return undefined;
    const container = this.containers.get(name);
    if (!container) throw new RuntimeNotFoundError(name);
    return container;
  }

  private summary(container: FakeContainer): ContainerSummary {
    return {
      id: `id-${container.name}`,
      name: container.name,
      image: 'fake:latest',
      state: container.state,
      status: container.state === 'running' ? 'Up' : 'Exited (0)',
      labels: container.labels,
    };
  }

  async list(options?: OperationOptions): Promise<ContainerSummary[]> {
    await this.enter('list', undefined, options);
    return [...this.containers.values()].map((container) => this.summary(container));
  }

  async inspect(name: string, options?: OperationOptions): Promise<ContainerDetails> {
    const container = (await this.enter('inspect', name, options)) as FakeContainer;
    return { ...this.summary(container), started_at: container.startedAt, restart_count: container.restarts };
  }

  async restart(name: string, options?: OperationOptions): Promise<void> {
    const container = (await this.enter('restart', name, options)) as FakeContainer;
    container.state = 'running';
    container.restarts += 1;
    container.startedAt = new Date().toISOString();
  }

  async start(name: string, options?: OperationOptions): Promise<void> {
    const container = (await this.enter('start', name, options)) as FakeContainer;
    container.state = 'running';
  }

  async stop(name: string, options?: OperationOptions): Promise<void> {
    const container = (await this.enter('stop', name, options)) as FakeContainer;
    container.state = 'exited';
  }

  async logs(name: string, logOptions: LogOptions, options?: OperationOptions): Promise<string[]> {
    await this.enter('logs', name, options, logOptions.tail);
    return Array.from({ length: Math.min(logOptions.tail, 3) }, (_value, index) => `line ${index + 1}`);
  }

  async stats(name: string, options?: OperationOptions): Promise<ContainerStats> {
    await this.enter('stats', name, options);
    return { cpu_percent: 1.5, memory_bytes: 1024, memory_limit_bytes: 4096 };
  }

  private readonly listeners = new Set<(event: RuntimeEvent) => void>();

  subscribe(listener: (event: RuntimeEvent) => void): EventSubscription {
    this.listeners.add(listener);
    return { close: async () => void this.listeners.delete(listener) };
  }

  /** Delivers an event to every subscriber, as an engine would. */
  emit(event: RuntimeEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  async ping(): Promise<boolean> {
    return !this.fail.has('ping');
  }
}
