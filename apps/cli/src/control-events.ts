import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContainerEventType } from '@atb/contracts';

/** One lifecycle change of a supervised process, in the gateway's container-event vocabulary. */
export interface SupervisorEvent {
  /** Which supervisor numbered it (a new `atb up` starts a new sequence). */
  supervisor: string;
  /** 1, 2, 3, … within that supervisor. */
  seq: number;
  type: ContainerEventType;
  target: string;
  container_id: string;
  time: string;
  labels: Record<string, string>;
  exit_code?: number;
}

export type SupervisorEventInput = Omit<SupervisorEvent, 'supervisor' | 'seq' | 'time'>;

/**
 * The supervisor's recent lifecycle events (started, stopped, died, restarted), numbered, the
 * last `capacity` kept, so the control API can replay what a reconnecting reader missed.
 */
export class SupervisorEvents {
  readonly supervisor = randomBytes(8).toString('hex');
  private readonly held: SupervisorEvent[] = [];
  private readonly listeners = new Set<(event: SupervisorEvent) => void>();
  private seq = 0;

  constructor(readonly capacity = 1000) {}

  record(input: SupervisorEventInput): void {
    this.seq += 1;
    const event: SupervisorEvent = { supervisor: this.supervisor, seq: this.seq, time: new Date().toISOString(), ...input };
    this.held.push(event);
    if (this.held.length > this.capacity) this.held.shift();
    for (const listener of this.listeners) listener(event);
  }

  /** The latest sequence number (0 before any event). */
  get latest(): number {
    return this.seq;
  }

  /** Held events after `seq`, oldest first. */
  after(seq: number): SupervisorEvent[] {
    return this.held.filter((event) => event.seq > seq);
  }

  subscribe(listener: (event: SupervisorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * `GET /v1/events?supervisor=<id>&after=<seq>`: newline-delimited JSON, held open. The first
 * line is `{ "supervisor": id, "latest": seq }`; then every event after `after` when
 * `supervisor` names this supervisor, every held event when it names another one (a restarted
 * `atb up`: all of them are new to the reader), only new events when it is absent; then live
 * events as they happen, and an empty line every 15 s to keep the connection open.
 */
export function streamEvents(events: SupervisorEvents, url: URL, request: IncomingMessage, response: ServerResponse): void {
  const after = Number(url.searchParams.get('after') ?? 'NaN');
  const reader = url.searchParams.get('supervisor');
  const from = reader === null ? events.latest : reader === events.supervisor && Number.isInteger(after) ? after : 0;
  response.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  response.write(`${JSON.stringify({ supervisor: events.supervisor, latest: events.latest })}\n`);
  let sent = from;
  const write = (event: SupervisorEvent) => {
    if (event.seq <= sent) return;
    sent = event.seq;
    response.write(`${JSON.stringify(event)}\n`);
  };
  const unsubscribe = events.subscribe(write);
  for (const event of events.after(from)) write(event);
  const keepAlive = setInterval(() => response.write('\n'), 15_000);
  const end = () => {
    unsubscribe();
    clearInterval(keepAlive);
  };
  request.on('close', end);
  response.on('close', end);
}
