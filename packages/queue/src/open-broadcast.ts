import type { Database } from '@atb/storage';
import { type Broadcast, LocalBroadcast } from './broadcast.js';
import { PostgresBroadcast } from './postgres-broadcast.js';
import { RedisBroadcast } from './redis-broadcast.js';

/**
 * The broadcast a service's replicas share: Redis pub/sub when a Redis URL is configured,
 * PostgreSQL's LISTEN/NOTIFY when the service's database is PostgreSQL (NOTIFY stays within its
 * database), otherwise the one process itself.
 */
export async function openBroadcast(options: { database: Database<unknown>; databaseUrl?: string | undefined; redisUrl?: string | undefined; prefix?: string }): Promise<Broadcast> {
  const prefix = options.prefix ?? 'atb';
  if (options.redisUrl) return RedisBroadcast.open({ url: options.redisUrl, prefix });
  if (options.database.dialect === 'postgres' && options.databaseUrl) return PostgresBroadcast.open({ url: options.databaseUrl, prefix });
  return new LocalBroadcast();
}
