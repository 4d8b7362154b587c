import { EventEmitter } from 'node:events';
import pg from 'pg';
import { type Broadcast, type BroadcastListener, checkChannel, encodeBroadcast } from './broadcast.js';

/**
 * {@link Broadcast} on PostgreSQL's LISTEN/NOTIFY: one connection of its own listens (a LISTEN
 * lives on its connection), publishing is `pg_notify`. Channels are prefixed, so deployments
 * (and tests) sharing a database stay apart.
 */
export class PostgresBroadcast implements Broadcast {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly listening = new Map<string, number>();

  private constructor(
    private readonly client: pg.Client,
    private readonly prefix: string,
  ) {
    client.on('notification', (notification) => {
      if (!notification.payload) return;
      this.emitter.emit(notification.channel, JSON.parse(notification.payload) as Record<string, unknown>);
    });
    // A broken connection ends delivery; the owner's health check sees the error in its logs.
    client.on('error', () => {});
  }

  static async open(options: { url: string; prefix?: string }): Promise<PostgresBroadcast> {
    const client = new pg.Client({ connectionString: options.url });
    await client.connect();
    return new PostgresBroadcast(client, options.prefix ?? 'atb');
  }

  private name(channel: string): string {
    checkChannel(channel);
    return `${this.prefix}_${channel}`.slice(0, 63);
  }

  async publish(channel: string, message: Record<string, unknown>): Promise<void> {
    await this.client.query('SELECT pg_notify($1, $2)', [this.name(channel), encodeBroadcast(channel, message)]);
  }

  async subscribe(channel: string, listener: BroadcastListener): Promise<() => Promise<void>> {
    const name = this.name(channel);
    this.emitter.on(name, listener);
    const count = this.listening.get(name) ?? 0;
    this.listening.set(name, count + 1);
    if (count === 0) await this.client.query(`LISTEN ${pg.escapeIdentifier(name)}`);
    return async () => {
      this.emitter.off(name, listener);
      const left = (this.listening.get(name) ?? 1) - 1;
      this.listening.set(name, left);
      if (left === 0) await this.client.query(`UNLISTEN ${pg.escapeIdentifier(name)}`).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
    await this.client.end().catch(() => {});
  }
}
