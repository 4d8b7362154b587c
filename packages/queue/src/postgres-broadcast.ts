import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type Broadcast, type BroadcastListener, checkChannel, encodeBroadcast } from './broadcast.js';

export interface PostgresBroadcastOptions {
  url: string;
  prefix?: string;
  /** Shown in `pg_stat_activity.application_name`. Default `atb-broadcast`. */
  applicationName?: string;
  /** First wait before reconnecting a lost connection; doubles up to `maxReconnectMs`. Default 200. */
  reconnectMs?: number;
  maxReconnectMs?: number;
}

/**
 * {@link Broadcast} on PostgreSQL's LISTEN/NOTIFY: one connection of its own listens (a LISTEN
 * lives on its connection), publishing is `pg_notify`. Channels are prefixed, so deployments
 * (and tests) sharing a database stay apart. A lost connection (a restarted server, a killed
 * backend) is reopened with growing pauses and every channel listened to again; messages sent
 * while it was down are missed, as for any subscriber not listening at the time.
 */
export class PostgresBroadcast implements Broadcast {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly listening = new Map<string, number>();
  private client: pg.Client;
  private closed = false;
  private readonly stopped = new AbortController();
  private reconnecting: Promise<void> | undefined;

  private constructor(
    client: pg.Client,
    private readonly options: PostgresBroadcastOptions & { prefix: string },
  ) {
    this.client = client;
    this.watch(client);
  }

  static async open(options: PostgresBroadcastOptions): Promise<PostgresBroadcast> {
    const settings = { ...options, prefix: options.prefix ?? 'atb' };
    return new PostgresBroadcast(await connect(settings), settings);
  }

  private watch(client: pg.Client): void {
    client.on('notification', (notification) => {
      if (!notification.payload) return;
      this.emitter.emit(notification.channel, JSON.parse(notification.payload) as Record<string, unknown>);
    });
    const lost = () => {
      if (!this.closed && client === this.client) this.reconnecting ??= this.reconnect().finally(() => (this.reconnecting = undefined));
    };
    client.on('error', lost);
    client.on('end', lost);
  }

  private async reconnect(): Promise<void> {
    let wait = this.options.reconnectMs ?? 200;
    while (!this.closed) {
      try {
        await sleep(wait * (0.5 + Math.random() / 2), undefined, { signal: this.stopped.signal });
        const client = await connect(this.options);
        for (const [name, count] of this.listening) if (count > 0) await client.query(`LISTEN ${pg.escapeIdentifier(name)}`);
        if (this.closed) return void (await client.end().catch(() => {}));
        this.client = client;
        this.watch(client);
        return;
      } catch {
        wait = Math.min(wait * 2, this.options.maxReconnectMs ?? 5000);
      }
    }
  }

  private name(channel: string): string {
    checkChannel(channel);
    return `${this.options.prefix}_${channel}`.slice(0, 63);
  }

  /** The current connection, after a reconnect in progress has finished. */
  private async connection(): Promise<pg.Client> {
    if (this.reconnecting) await this.reconnecting;
    return this.client;
  }

  async publish(channel: string, message: Record<string, unknown>): Promise<void> {
    const text = encodeBroadcast(channel, message);
    await (await this.connection()).query('SELECT pg_notify($1, $2)', [this.name(channel), text]);
  }

  async subscribe(channel: string, listener: BroadcastListener): Promise<() => Promise<void>> {
    const name = this.name(channel);
    this.emitter.on(name, listener);
    const count = this.listening.get(name) ?? 0;
    this.listening.set(name, count + 1);
    if (count === 0) await (await this.connection()).query(`LISTEN ${pg.escapeIdentifier(name)}`);
    return async () => {
      this.emitter.off(name, listener);
      const left = (this.listening.get(name) ?? 1) - 1;
      this.listening.set(name, left);
      if (left === 0) await this.client.query(`UNLISTEN ${pg.escapeIdentifier(name)}`).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopped.abort();
    this.emitter.removeAllListeners();
    await this.reconnecting?.catch(() => {});
    await this.client.end().catch(() => {});
  }
}

async function connect(options: PostgresBroadcastOptions): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: options.url, application_name: options.applicationName ?? 'atb-broadcast' });
  // Until `watch` takes over, an error is only the failed connect, which rejects below.
  client.on('error', () => {});
  await client.connect();
  return client;
}
