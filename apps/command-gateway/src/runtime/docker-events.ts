import type Docker from 'dockerode';
import {
  type EventSubscription,
  type EventSubscriptionOptions,
  type RuntimeEvent,
  RuntimeUnavailableError,
} from './container-runtime.js';
import { followLines } from './event-follower.js';

/** One message of the Docker Engine API's `GET /events` (the fields used here). */
export interface DockerEngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
  /** Podman writes the health status of `health_status` events here. */
  HealthStatus?: string;
}

/** Attributes the engine adds beside the container's labels. */
const ENGINE_ATTRIBUTES = new Set(['name', 'image', 'exitCode', 'containerExitCode', 'podId', 'health_status', 'signal']);

/**
 * Maps one engine event to a {@link RuntimeEvent}; `undefined` for actions that are not
 * lifecycle changes (create, kill, exec_died, …). Docker writes health as
 * `health_status: healthy`, Podman as `health_status` with the status in `HealthStatus`; both
 * are read.
 */
export function mapDockerEvent(raw: DockerEngineEvent): RuntimeEvent | undefined {
  if (raw.Type !== 'container' || !raw.Action || !raw.Actor?.ID) return undefined;
  const attributes = raw.Actor.Attributes ?? {};
  const [action, detail] = raw.Action.split(':').map((part) => part.trim());
  const base = {
    target: attributes.name ?? raw.Actor.ID,
    container_id: raw.Actor.ID,
    time: new Date(eventNanos(raw) / 1e6).toISOString(),
    labels: Object.fromEntries(Object.entries(attributes).filter(([key]) => !ENGINE_ATTRIBUTES.has(key))),
  };
  switch (action) {
    case 'start':
      return { type: 'container-started', ...base };
    case 'stop':
      return { type: 'container-stopped', ...base };
    case 'restart':
      return { type: 'container-restarted', ...base };
    case 'oom':
      return { type: 'container-oom', ...base };
    case 'die': {
      const exitCode = Number(attributes.exitCode ?? attributes.containerExitCode);
      return { type: 'container-died', ...base, ...(Number.isInteger(exitCode) ? { exit_code: exitCode } : {}) };
    }
    case 'health_status': {
      const status = detail || raw.HealthStatus || attributes.health_status;
      return { type: 'container-health-changed', ...base, ...(status ? { health_status: status } : {}) };
    }
    default:
      return undefined;
  }
}

/**
 * The event's time in ns. `timeNano` exceeds 2^53, so JSON.parse rounds it to ~256 ns; the same
 * text always parses to the same number, so it still identifies an event of one container.
 */
function eventNanos(raw: DockerEngineEvent): number {
  if (typeof raw.timeNano === 'number' && raw.timeNano > 0) return raw.timeNano;
  return (raw.time ?? Date.now() / 1000) * 1e9;
}

/**
 * Follows the engine's events stream. The position is the time of the last event seen: a
 * reopened stream asks `since` that second (the API counts in whole seconds), and the events of
 * that second already delivered are recognised by their identity (container, action, time in
 * nanoseconds) and skipped, so a reconnect neither loses nor repeats an event. Events before the
 * subscription started are dropped.
 *
 * The stream is filtered by type only (`type=container`): Podman's compat API does not match
 * `event=die` (it stores `died`), so the actions are chosen here instead.
 */
export function followDockerEvents(
  docker: Docker,
  endpoint: string,
  listener: (event: RuntimeEvent) => void,
  options: EventSubscriptionOptions = {},
): EventSubscription {
  const startedNanos = Date.now() * 1e6;
  let lastNanos = startedNanos;
  /** Identities of delivered events at or after the second the next `since` asks for. */
  const delivered = new Map<string, number>();
  /**
   * A container dies at most once per run (the time from one start to the next). Podman can
   * record one exit twice (its cleanup process, and the API service when it comes back and syncs
   * the container's state), at different times and, across a reconnect, even after the next
   * start arrived: each death is placed in the run its own timestamp falls in.
   */
  const runs = new ContainerRuns();
  /** Events are handed on in order; a death waits for its check against the engine first. */
  let delivering: Promise<void> = Promise.resolve();
  const deliverDeath = async (event: RuntimeEvent, nanos: number) => {
    if (await isStaleDeath(docker, event.container_id, nanos)) return;
    if (runs.firstDeath(event.container_id, nanos)) listener(event);
  };

  const onLine = (line: string) => {
    let raw: DockerEngineEvent;
    try {
      raw = JSON.parse(line) as DockerEngineEvent;
    } catch {
      return; // a line cut by a broken connection: the reopened stream brings it again
    }
    const nanos = eventNanos(raw);
    if (nanos < startedNanos) return;
    const identity = `${raw.Actor?.ID}|${raw.Action}|${nanos}`;
    if (delivered.has(identity)) return;
    delivered.set(identity, nanos);
    if (nanos > lastNanos) lastNanos = nanos;
    const floor = Math.floor(lastNanos / 1e9) * 1e9;
    for (const [key, time] of delivered) if (time < floor) delivered.delete(key);
    const event = mapDockerEvent(raw);
    if (!event) return;
    delivering = delivering
      .then(() => {
        if (event.type === 'container-started') runs.started(event.container_id, nanos);
        return event.type === 'container-died' ? deliverDeath(event, nanos) : listener(event);
      })
      .catch((error: unknown) => options.onError?.(error instanceof Error ? error : new Error(String(error))));
  };

  return followLines({
    ...options,
    onLine,
    onError: (error) =>
      options.onError?.(error instanceof RuntimeUnavailableError ? error : new RuntimeUnavailableError(endpoint, error.message)),
    open: async (signal) => {
      const since = String(Math.floor(lastNanos / 1e9));
      const stream = await docker.getEvents({ since, filters: { type: ['container'] }, abortSignal: signal } as never);
      return stream as unknown as AsyncIterable<Buffer>;
    },
  });
}

/**
 * A death the engine reports after the container was started again is a late record of an
 * earlier exit (Podman's cleanup process can write it long after, under load): the container is
 * running, and its run began before the reported death. A genuine death is followed by a start
 * after it, or leaves the container stopped; a container that cannot be inspected keeps its death.
 */
export async function isStaleDeath(docker: Docker, containerId: string, nanos: number): Promise<boolean> {
  try {
    const state = (await docker.getContainer(containerId).inspect()).State;
    const startedAt = Date.parse(state?.StartedAt ?? '');
    return state?.Running === true && Number.isFinite(startedAt) && startedAt * 1e6 < nanos;
  } catch {
    return false;
  }
}

/** The starts seen per container (the latest few) and which of their runs already ended in a death. */
export class ContainerRuns {
  private static readonly KEPT = 16;
  private readonly starts = new Map<string, number[]>();
  private readonly ended = new Map<string, Set<number>>();

  started(container: string, nanos: number): void {
    const starts = this.starts.get(container) ?? [];
    starts.push(nanos);
    starts.sort((a, b) => a - b);
    if (starts.length > ContainerRuns.KEPT) starts.shift();
    this.starts.set(container, starts);
  }

  /** True for the first death reported in the run `nanos` falls in; false for a repeat. */
  firstDeath(container: string, nanos: number): boolean {
    const run = (this.starts.get(container) ?? []).filter((start) => start <= nanos).at(-1) ?? 0;
    const ended = this.ended.get(container) ?? new Set<number>();
    if (ended.has(run)) return false;
    ended.add(run);
    if (ended.size > ContainerRuns.KEPT) ended.delete(Math.min(...ended));
    this.ended.set(container, ended);
    return true;
  }
}
