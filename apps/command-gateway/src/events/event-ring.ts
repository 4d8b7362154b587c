/** What {@link EventRing.after} answers for a client's `Last-Event-ID`. */
export interface Replay<T> {
  /** Held events after the client's id, oldest first. */
  events: T[];
  /**
   * Set when events after the client's id may have been lost: its id is older than the oldest
   * held event (the ring moved on), or is not one this gateway handed out (another gateway
   * process, before a restart). `events` then holds everything held.
   */
  missed?: { oldest?: string };
}

/**
 * The last `capacity` events in memory, with ids that only grow: the first id is the gateway's
 * start time in milliseconds × 1,000, then +1 per event, so an id from an earlier run of the
 * gateway is smaller than every id of this one (and is recognised as not ours).
 */
export class EventRing<T extends { id: string }> {
  private readonly held: T[] = [];
  private next: number;
  private readonly first: number;

  constructor(
    readonly capacity: number,
    startedAtMs: number = Date.now(),
  ) {
    this.first = startedAtMs * 1000;
    this.next = this.first;
  }

  get size(): number {
    return this.held.length;
  }

  /** Numbers an event and keeps it (dropping the oldest beyond `capacity`). */
  push(build: (id: string) => T): T {
    const event = build(String(this.next));
    this.next += 1;
    this.held.push(event);
    if (this.held.length > this.capacity) this.held.shift();
    return event;
  }

  /** What a client that last saw `lastEventId` should get; `undefined` = a new client: nothing old. */
  after(lastEventId: string | undefined): Replay<T> {
    if (lastEventId === undefined) return { events: [] };
    const last = /^\d{1,16}$/.test(lastEventId) ? Number(lastEventId) : Number.NaN;
    const oldest = this.held[0] ? Number(this.held[0].id) : this.next;
    const ours = last >= this.first - 1 && last < this.next;
    if (!ours || last < oldest - 1) {
      return { events: [...this.held], missed: this.held[0] ? { oldest: this.held[0].id } : {} };
    }
    return { events: this.held.filter((event) => Number(event.id) > last) };
  }
}
