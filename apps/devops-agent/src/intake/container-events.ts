import type { ContainerEvent } from '@atb/contracts';
import type { FastifyBaseLogger } from 'fastify';
import { type ContainerFailure, failureAlert, failureFingerprint, meaningOf } from '../incidents/container-failure.js';
import { isHealthy, probeHealth } from '../monitoring/health-probe.js';
import type { GatewayClient } from '../remediation/gateway-client.js';
import type { IncomingAlert } from '../store/agent-store.js';
import type { IncidentStore } from '../store/incident-store.js';
import type { AlertIntake } from './alert-intake.js';

export interface ContainerEventsOptions {
  /** The monitored service: its failures clear only once its `/health` answers healthy again. */
  service: string;
  targetUrl: string;
  /** Timeout of each health check while waiting for a restarted service to answer. */
  probeTimeoutMs: number;
  /** Longest wait for a restarted service to answer before its failure is left firing. */
  recoveryTimeoutMs: number;
  /** First reconnect delay, doubled up to 5 s while the gateway stays away. */
  reconnectDelayMs?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Event-driven detection: follows the gateway's `GET /events` (resuming with `Last-Event-ID`
 * after any disconnect) and turns each failure a container event reports into an alert through
 * the same intake as Alertmanager's and polling's, at once, with the event as evidence. The
 * gateway's own stops and restarts raise nothing; a start clears the failure (for the monitored
 * service, once it answers its health check).
 */
export class ContainerEventIntake {
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private lastEventId: string | undefined;
  private readonly clearing = new Set<Promise<unknown>>();
  private counts = { connected: false, connections: 0, events: 0, duplicates: 0, missed: 0, raised: 0, cleared: 0, gateway_initiated: 0 };

  constructor(
    private readonly gateway: Pick<GatewayClient, 'streamEvents'>,
    private readonly intake: Pick<AlertIntake, 'accept'>,
    private readonly incidents: Pick<IncidentStore, 'firingAlerts'>,
    private readonly logger: FastifyBaseLogger,
    private readonly options: ContainerEventsOptions,
  ) {}

  start(): void {
    if (this.controller) return;
    this.controller = new AbortController();
    this.loop = this.follow(this.controller.signal);
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    await Promise.allSettled([...this.clearing]);
    this.controller = undefined;
  }

  /** For `/status`: whether the stream is open, and what it brought. */
  status() {
    return { enabled: this.controller !== undefined, last_event_id: this.lastEventId ?? null, ...this.counts };
  }

  private async follow(signal: AbortSignal): Promise<void> {
    const first = this.options.reconnectDelayMs ?? 250;
    let delay = first;
    while (!signal.aborted) {
      try {
        for await (const message of this.gateway.streamEvents({ lastEventId: this.lastEventId, signal })) {
          if (!this.counts.connected) {
            this.counts.connected = true;
            this.counts.connections += 1;
            delay = first;
          }
          if (message.kind === 'missed') {
            this.counts.missed += 1;
            this.logger.warn({ missed: message.missed }, 'gateway events were missed; polling and Alertmanager still cover those failures');
          } else await this.handle(message.event);
        }
      } catch (error) {
        if (signal.aborted) break;
        if (this.counts.connected || this.counts.connections === 0) this.logger.warn({ err: error }, 'gateway event stream unavailable; reconnecting');
      }
      this.counts.connected = false;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 5000);
    }
    this.counts.connected = false;
  }

  /** One event, once: a repeat (an id not after the last one) changes nothing. */
  async handle(event: ContainerEvent): Promise<void> {
    if (this.lastEventId !== undefined && BigInt(event.id) <= BigInt(this.lastEventId)) {
      this.counts.duplicates += 1;
      return;
    }
    this.lastEventId = event.id;
    this.counts.events += 1;
    const meaning = meaningOf(event);
    if (!meaning) {
      if (event.initiated_by === 'gateway') this.counts.gateway_initiated += 1;
      return;
    }
    if ('raise' in meaning) {
      this.counts.raised += 1;
      await this.intake.accept([failureAlert(event, meaning.raise)], 'container-events');
      return;
    }
    const clearing = this.clear(event, meaning.clear).catch((error: unknown) => this.logger.error({ err: error }, 'clearing a container failure failed'));
    this.clearing.add(clearing);
    void clearing.finally(() => this.clearing.delete(clearing));
  }

  /** Resolves the target's firing failures — for the monitored service, once it answers again. */
  private async clear(event: ContainerEvent, failures: ContainerFailure[]): Promise<void> {
    const firing = await this.incidents.firingAlerts(failures.map((failure) => failureFingerprint(event.target, failure)));
    if (firing.length === 0) return;
    if (event.target === this.options.service && !(await this.answering())) return;
    const now = new Date().toISOString();
    const resolved: IncomingAlert[] = firing.map((alert) => ({
      fingerprint: alert.fingerprint,
      status: 'resolved',
      starts_at: alert.starts_at,
      ends_at: now,
      labels: alert.labels,
      annotations: alert.annotations,
      generator_url: alert.generator_url,
    }));
    this.counts.cleared += resolved.length;
    await this.intake.accept(resolved, 'container-events');
  }

  private async answering(): Promise<boolean> {
    const deadline = Date.now() + this.options.recoveryTimeoutMs;
    const signal = this.controller?.signal;
    while (Date.now() < deadline && !signal?.aborted) {
      if (isHealthy(await probeHealth(this.options.targetUrl, this.options.probeTimeoutMs))) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }
}
