import { EventEmitter } from 'node:events';

/** Largest message, in bytes of JSON: PostgreSQL's NOTIFY takes fewer than 8,000. */
export const MAX_BROADCAST_BYTES = 7_500;

/** Channel names every implementation accepts. */
const CHANNEL = /^[a-z0-9_-]{1,40}$/;

/** A listener of one channel. */
export type BroadcastListener = (message: Record<string, unknown>) => void;

/**
 * Fan-out across replicas: a message published on a channel reaches every subscriber of it, on
 * every replica (the publishing one included), once, in publishing order per publisher. Delivery
 * is best effort: a subscriber not listening at the time misses the message. Messages are
 * therefore small signals ("task t has event 7"), and the data itself is read from the shared store.
 *
 * Implementations: `LocalBroadcast` (one process), `PostgresBroadcast` (LISTEN/NOTIFY) and
 * `RedisBroadcast` (pub/sub). One contract suite.
 */
export interface Broadcast {
  /** Sends `message` (at most {@link MAX_BROADCAST_BYTES} of JSON) to every subscriber of `channel`. */
  publish(channel: string, message: Record<string, unknown>): Promise<void>;
  /** Listens on `channel`: resolves once messages published from then on reach `listener`; answers the unsubscribe. */
  subscribe(channel: string, listener: BroadcastListener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The message as JSON, or an error naming the channel and the limit. */
export function encodeBroadcast(channel: string, message: Record<string, unknown>): string {
  checkChannel(channel);
  const text = JSON.stringify(message);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BROADCAST_BYTES) throw new RangeError(`broadcast message on "${channel}" is ${bytes} bytes; at most ${MAX_BROADCAST_BYTES} (send a reference to the data instead)`);
  return text;
}

export function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) throw new RangeError(`broadcast channel must match ${CHANNEL}; got "${channel}"`);
}

/** {@link Broadcast} inside one process: the single-instance default (SQLite). */
export class LocalBroadcast implements Broadcast {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(channel: string, message: Record<string, unknown>): Promise<void> {
    const text = encodeBroadcast(channel, message);
    // Each listener gets its own copy, as it would from the wire.
    for (const listener of this.emitter.listeners(channel)) (listener as BroadcastListener)(JSON.parse(text) as Record<string, unknown>);
  }

  async subscribe(channel: string, listener: BroadcastListener): Promise<() => Promise<void>> {
    checkChannel(channel);
    this.emitter.on(channel, listener);
    return async () => {
      this.emitter.off(channel, listener);
    };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
