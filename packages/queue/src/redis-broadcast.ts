import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { type Broadcast, type BroadcastListener, checkChannel, encodeBroadcast } from './broadcast.js';

/**
 * {@link Broadcast} on Redis pub/sub: a connection in subscriber mode listens, another publishes.
 * Channels are prefixed, so deployments (and tests) sharing a Redis stay apart.
 */
export class RedisBroadcast implements Broadcast {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
  ) {
    subscriber.on('message', (channel: string, text: string) => {
      this.emitter.emit(channel, JSON.parse(text) as Record<string, unknown>);
    });
  }

  /** `connectionName` is shown by `CLIENT LIST` (default `atb-broadcast`). A lost connection is reopened and resubscribed by the client. */
  static async open(options: { url: string; prefix?: string; connectionName?: string }): Promise<RedisBroadcast> {
    const connectionName = options.connectionName ?? 'atb-broadcast';
    const publisher = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2, connectionName });
    const subscriber = new Redis(options.url, { lazyConnect: true, connectionName });
    await Promise.all([publisher.connect(), subscriber.connect()]);
    return new RedisBroadcast(publisher, subscriber, options.prefix ?? 'atb');
  }

  private name(channel: string): string {
    checkChannel(channel);
    return `${this.prefix}:broadcast:${channel}`;
  }

  async publish(channel: string, message: Record<string, unknown>): Promise<void> {
    await this.publisher.publish(this.name(channel), encodeBroadcast(channel, message));
  }

  async subscribe(channel: string, listener: BroadcastListener): Promise<() => Promise<void>> {
    const name = this.name(channel);
    const first = this.emitter.listenerCount(name) === 0;
    this.emitter.on(name, listener);
    if (first) await this.subscriber.subscribe(name);
    return async () => {
      this.emitter.off(name, listener);
      if (this.emitter.listenerCount(name) === 0) await this.subscriber.unsubscribe(name).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
    await Promise.all([this.publisher.quit().catch(() => this.publisher.disconnect()), this.subscriber.quit().catch(() => this.subscriber.disconnect())]);
  }
}
