import type { ContainerEvent } from '@atb/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Policy } from '../policy/policy.js';
import { matchesAllowlist } from '../policy/validate-plan.js';
import type { ContainerRuntime, EventSubscription, RuntimeEvent } from '../runtime/container-runtime.js';
import { EventRing, type Replay } from './event-ring.js';
import type { GatewayOperations } from './gateway-operations.js';

export interface ContainerEventHubOptions {
  runtime: ContainerRuntime;
  policy: Policy;
  operations: GatewayOperations;
  /** Events kept for `Last-Event-ID` resumes; default 1,000. */
  capacity?: number;
  logger?: FastifyBaseLogger;
}

/**
 * The gateway's one subscription to its runtime's events: keeps those of allowlisted targets
 * (by name or label, the same allowlist the commands obey), marks the ones the gateway's own
 * restarts, stops and starts caused, numbers them into a ring, and hands them to the open
 * `GET /events` streams.
 */
export class ContainerEventHub {
  private readonly ring: EventRing<ContainerEvent>;
  private readonly listeners = new Set<(event: ContainerEvent) => void>();
  private subscription: EventSubscription | undefined;
  private connected = false;

  constructor(private readonly options: ContainerEventHubOptions) {
    this.ring = new EventRing(options.capacity ?? 1000);
  }

  /** Opens the runtime's event stream (it reconnects by itself). */
  start(): void {
    if (this.subscription) return;
    const { logger } = this.options;
    let broken = false;
    this.subscription = this.options.runtime.subscribe((event) => this.accept(event), {
      onError: (error) => {
        if (!broken) logger?.warn({ err: error }, 'container event stream broke; reconnecting');
        broken = true;
        this.connected = false;
      },
      onConnected: () => {
        if (broken) logger?.info('container event stream reconnected');
        broken = false;
        this.connected = true;
      },
    });
  }

  /** Events after a client's `Last-Event-ID` (see {@link EventRing.after}). */
  after(lastEventId: string | undefined): Replay<ContainerEvent> {
    return this.ring.after(lastEventId);
  }

  /** For `/status`: whether the runtime's stream is open, and how many events are held. */
  state(): { connected: boolean; held: number } {
    return { connected: this.connected, held: this.ring.size };
  }

  /** Every accepted event from now on; returns the unsubscribe function. */
  listen(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.subscription?.close();
    this.subscription = undefined;
  }

  private accept(event: RuntimeEvent): void {
    if (!matchesAllowlist(this.options.policy, event.target, event.labels)) return;
    const initiator = this.options.operations.initiatorOf(event);
    const numbered = this.ring.push((id) => ({
      id,
      type: event.type,
      target: event.target,
      container_id: event.container_id,
      ...(Object.keys(event.labels).length > 0 ? { labels: event.labels } : {}),
      time: event.time,
      runtime: this.options.runtime.kind,
      ...(event.exit_code === undefined ? {} : { exit_code: event.exit_code }),
      ...(event.health_status === undefined ? {} : { health_status: event.health_status }),
      ...(initiator ? { initiated_by: 'gateway' as const, ...initiator } : { initiated_by: 'external' as const }),
    }));
    for (const listener of this.listeners) listener(numbered);
  }
}
