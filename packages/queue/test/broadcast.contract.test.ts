import { randomBytes } from 'node:crypto';
import { deleteRedisKeys, describeWithComponent, probePostgres, probeRedis, TEST_POSTGRES_URL, TEST_REDIS_URL } from '@atb/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type Broadcast, LocalBroadcast } from '../src/broadcast.js';
import { PostgresBroadcast } from '../src/postgres-broadcast.js';
import { RedisBroadcast } from '../src/redis-broadcast.js';
import { type BroadcastFixture, broadcastContract } from './broadcast.contract.js';

/** Handles opened by `open`, closed at the end; a fresh prefix per test keeps parallel runs apart. */
function handles(
  open: (prefix: string) => Promise<Broadcast>,
  shared: boolean,
  cleanup: (prefix: string) => Promise<void> = async () => {},
  sever?: (prefix: string) => Promise<void>,
): BroadcastFixture {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const opened: Broadcast[] = [];
  return {
    shared,
    ...(sever ? { sever: () => sever(prefix) } : {}),
    async open() {
      const broadcast = await open(prefix);
      opened.push(broadcast);
      return broadcast;
    },
    async destroy() {
      await Promise.all(opened.map((broadcast) => broadcast.close()));
      await cleanup(prefix);
    },
  };
}

/** Ends, from the server's side, every PostgreSQL backend with this application name. */
async function terminatePostgresBackends(applicationName: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    if (!rowCount) throw new Error(`no PostgreSQL backend named ${applicationName} to terminate`);
  } finally {
    await admin.end();
  }
}

/** Kills, from the server's side, every Redis client with this connection name. */
async function killRedisClients(name: string): Promise<void> {
  const admin = new Redis(TEST_REDIS_URL);
  try {
    const ids = String(await admin.client('LIST'))
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /id=(\d+)/.exec(line)?.[1]);
    if (ids.length === 0) throw new Error(`no Redis client named ${name} to kill`);
    for (const id of ids) if (id) await admin.client('KILL', 'ID', id);
  } finally {
    admin.disconnect();
  }
}

describeWithComponent('one process', undefined, '', () => {
  broadcastContract(async () => handles(async () => new LocalBroadcast(), false), { connections: false });
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start it: pg_ctlcluster 15 main start', () => {
  broadcastContract(
    async () =>
      handles(
        (prefix) => PostgresBroadcast.open({ url: TEST_POSTGRES_URL, prefix, applicationName: `atb-broadcast-${prefix}`, reconnectMs: 50 }),
        true,
        undefined,
        (prefix) => terminatePostgresBackends(`atb-broadcast-${prefix}`),
      ),
    { connections: true },
  );
});

describeWithComponent('Redis', await probeRedis(), 'start it: redis-server --daemonize yes', () => {
  broadcastContract(
    async () =>
      handles(
        (prefix) => RedisBroadcast.open({ url: TEST_REDIS_URL, prefix, connectionName: `atb-broadcast-${prefix}` }),
        true,
        (prefix) => deleteRedisKeys(prefix),
        (prefix) => killRedisClients(`atb-broadcast-${prefix}`),
      ),
    { connections: true },
  );
});
