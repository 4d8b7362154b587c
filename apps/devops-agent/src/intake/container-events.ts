import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { ContainerEvent } from '@atb/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { ServiceEntry } from '../catalog/catalog-schema.js';
import { CATALOG_SERVICE_LABEL, ownerOfContainer } from '../catalog/service-catalog.js';
import { type ContainerFailure, failureAlert, failureFingerprint, meaningOf } from '../incidents/container-failure.js';
import { isHealthy, probeHealth } from '../monitoring/health-probe.js';
import type { GatewayClient } from '../remediation/gateway-client.js';
import type { IncomingAlert } from '../store/agent-store.js';
import type { IncidentStore } from '../store/incident-store.js';
import type { AlertIntake } from './alert-intake.js';

/** What the event intake works with: where events come from and go, and whose containers they are. */
export interface ContainerEventsPorts {
  gateway: Pick<GatewayClient, 'streamEvents'>;
  intake: Pick<AlertIntake, 'accept'>;
  incidents: Pick<IncidentStore, 'firingAlerts'>;
  /** The service catalog: an event counts only for a container one of its entries owns. */
  catalog: { list(): readonly ServiceEntry[] };
  logger: FastifyBaseLogger;
}

export interface ContainerEventsOptions {
  /** Timeout of each health check while waiting for a restarted service to answer. */
  probeTimeoutMs: number;
  /** Longest wait for a restarted service to answer before its failure is left firing. */
  recoveryTimeoutMs: number;
  /** Reconnect delays: the first, doubled per failed attempt up to the most (defaults 250 ms and 5 s); each drawn at random up to that bound. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** A stream that stayed open this long resets the reconnect delay to the first (default 10 s). */
  stableAfterMs?: number;
  /** Uniform in [0, 1), for the reconnect jitter; default Math.random. */
  random?: () => number;
  /** Called when the gateway says events were missed: look at the targets instead (a health check). */
  onMissed?: () => Promise<unknown>;
  /** Where the last event id is kept, so a restarted agent resumes where it stopped; unset = memory only. */
  positionFile?: string;
}

/** The event id kept in `file`, if it holds one. */
function readPosition(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d{1,20}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
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
 * The pause before reconnecting, drawn between half the bound and the bound (the bound doubles
 * per failed attempt): replicas that lost the gateway together do not come back in lockstep, and
 * a gateway that closes every stream at once is never asked again in a tight loop.
 */
export const reconnectDelay = (boundMs: number, random: () => number): number => boundMs * (0.5 + 0.5 * random());

/**
 * The labels tying a failure alert to the service that owns the container: its name (and the
 * catalog label); the one-entry catalog of the variables keeps the container's own name.
 */
const ownerLabels = (entry: ServiceEntry, container: string) => (entry.target.fromAlert ? { service: container } : { service: entry.name, labels: { [CATALOG_SERVICE_LABEL]: entry.name } });

/**
 * Event-driven detection: follows the gateway's `GET /events` (resuming with `Last-Event-ID`
 * after any disconnect) and turns each failure a container event reports into an alert of the
 * catalog service that owns the container, through the same intake as Alertmanager's and
 * polling's, at once, with the event as evidence. Events of containers no entry owns are
 * counted and ignored. The gateway's own stops and restarts raise nothing; a start clears the
 * failure (for a service with a health check, once it answers it).
 */
export class ContainerEventIntake {
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private lastEventId: string | undefined;
  private readonly clearing = new Set<Promise<unknown>>();
  private saving: Promise<void> = Promise.resolve();
  private counts = { connected: false, connections: 0, events: 0, duplicates: 0, unowned: 0, missed: 0, raised: 0, stale: 0, cleared: 0, gateway_initiated: 0 };

  constructor(
    private readonly ports: ContainerEventsPorts,
    private readonly options: ContainerEventsOptions,
  ) {}

  start(): void {
    if (this.controller) return;
    this.lastEventId ??= readPosition(this.options.positionFile);
    this.controller = new AbortController();
    this.loop = this.follow(this.controller.signal);
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    await Promise.allSettled([...this.clearing]);
    await this.saving;
    this.controller = undefined;
  }

  /** For `/status`: whether the stream is open, and what it brought. */
  status() {
    return { enabled: this.controller !== undefined, last_event_id: this.lastEventId ?? null, ...this.counts };
  }

  /** Reconnects after every end of the stream, with a growing, jittered pause (reset once a stream stayed open). */
  private async follow(signal: AbortSignal): Promise<void> {
    const { reconnectDelayMs: first = 250, maxReconnectDelayMs: most = 5000, stableAfterMs = 10_000, random = Math.random } = this.options;
    let bound = first;
    while (!signal.aborted) {
      let openedAt: number | undefined;
      try {
        await this.read(signal, () => {
          openedAt = Date.now();
        });
      } catch (error) {
        if (signal.aborted) break;
        if (this.counts.connected || this.counts.connections === 0) this.ports.logger.warn({ err: error }, 'gateway event stream unavailable; reconnecting');
      }
      this.counts.connected = false;
      if (openedAt !== undefined && Date.now() - openedAt >= stableAfterMs) bound = first;
      await sleep(reconnectDelay(bound, random), signal);
      bound = Math.min(bound * 2, most);
    }
    this.counts.connected = false;
  }

  /** One stream, until it ends or fails. */
  private async read(signal: AbortSignal, onOpen: () => void): Promise<void> {
    for await (const message of this.ports.gateway.streamEvents({ lastEventId: this.lastEventId, signal })) {
      if (!this.counts.connected) {
        this.counts.connected = true;
        this.counts.connections += 1;
        onOpen();
      }
      if (message.kind === 'open') continue;
      if (message.kind === 'missed') {
        this.counts.missed += 1;
        this.ports.logger.warn({ missed: message.missed }, 'gateway events were missed: checking the monitored services instead');
        await this.options.onMissed?.().catch((error: unknown) => this.ports.logger.error({ err: error }, 'the check after missed events failed'));
      } else await this.handle(message.event);
    }
  }

  /** One event, once: a repeat (an id not after the last one) changes nothing. */
  async handle(event: ContainerEvent): Promise<void> {
    if (this.lastEventId !== undefined && BigInt(event.id) <= BigInt(this.lastEventId)) {
      this.counts.duplicates += 1;
      return;
    }
    this.lastEventId = event.id;
    this.savePosition(event.id);
    this.counts.events += 1;
    if (event.initiated_by === 'gateway') this.counts.gateway_initiated += 1;
    const owner = ownerOfContainer(this.ports.catalog.list(), { name: event.target, labels: event.labels });
    if (!owner) {
      this.counts.unowned += 1;
      this.ports.logger.debug({ container: event.target, type: event.type, event_id: event.id }, 'container event of a container no catalog service owns: ignored');
      return;
    }
    const meaning = meaningOf(event);
    if (!meaning) return;
    if ('raise' in meaning) await this.raise(event, meaning.raise, owner);
    else {
      const clearing = this.clear(event, meaning.clear, owner).catch((error: unknown) => this.ports.logger.error({ err: error }, 'clearing a container failure failed'));
      this.clearing.add(clearing);
      void clearing.finally(() => this.clearing.delete(clearing));
    }
  }

  private async raise(event: ContainerEvent, failure: ContainerFailure, owner: ServiceEntry): Promise<void> {
    this.counts.raised += 1;
    const result = await this.ports.intake.accept([failureAlert(event, failure, ownerLabels(owner, event.target))], 'container-events');
    if (result.stale > 0) {
      this.counts.stale += result.stale;
      this.ports.logger.info({ service: owner.name, container: event.target, type: event.type, time: event.time }, 'container failure older than the service\'s last recovery: recorded, not acted on');
    }
  }

  /** Keeps the position on disk, one write after another (the latest wins). */
  private savePosition(id: string): void {
    const file = this.options.positionFile;
    if (!file) return;
    this.saving = this.saving
      .then(() => (this.lastEventId === id ? writeFile(file, `${id}\n`, { mode: 0o600 }) : undefined))
      .catch((error: unknown) => this.ports.logger.warn({ err: error, file }, 'could not keep the event stream position'));
  }

  /** Resolves the container's firing failures — for a service with a health check on this container, once it answers again. */
  private async clear(event: ContainerEvent, failures: ContainerFailure[], owner: ServiceEntry): Promise<void> {
    const firing = await this.ports.incidents.firingAlerts(failures.map((failure) => failureFingerprint(event.target, failure)));
    if (firing.length === 0) return;
    const checked = owner.health && (!owner.target.fromAlert || event.target === owner.target.container);
    if (checked && !(await this.answering(owner.health!.url, owner.health!.expected_status))) return;
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
    await this.ports.intake.accept(resolved, 'container-events');
  }

  private async answering(url: string, expectedStatus: number | undefined): Promise<boolean> {
    const deadline = Date.now() + this.options.recoveryTimeoutMs;
    const signal = this.controller?.signal;
    while (Date.now() < deadline && !signal?.aborted) {
      if (isHealthy(await probeHealth(url, this.options.probeTimeoutMs), expectedStatus)) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }
}
