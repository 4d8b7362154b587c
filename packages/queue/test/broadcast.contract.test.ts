import { randomBytes } from 'node:crypto';
import { deleteRedisKeys, describeWithComponent, probePostgres, probeRedis, TEST_POSTGRES_URL, TEST_REDIS_URL } from '@atb/testing';
import { type Broadcast, LocalBroadcast } from '../src/broadcast.js';
import { PostgresBroadcast } from '../src/postgres-broadcast.js';
import { RedisBroadcast } from '../src/redis-broadcast.js';
import { type BroadcastFixture, broadcastContract } from './broadcast.contract.js';

/** Handles opened by `open`, closed at the end; a fresh prefix per test keeps parallel runs apart. */
function handles(open: (prefix: string) => Promise<Broadcast>, shared: boolean, cleanup: (prefix: string) => Promise<void> = async () => {}): BroadcastFixture {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const opened: Broadcast[] = [];
  return {
    shared,
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

describeWithComponent('one process', undefined, '', () => {
  broadcastContract(async () => handles(async () => new LocalBroadcast(), false));
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start it: pg_ctlcluster 15 main start', () => {
  broadcastContract(async () => handles((prefix) => PostgresBroadcast.open({ url: TEST_POSTGRES_URL, prefix }), true));
});

describeWithComponent('Redis', await probeRedis(), 'start it: redis-server --daemonize yes', () => {
  broadcastContract(async () => handles((prefix) => RedisBroadcast.open({ url: TEST_REDIS_URL, prefix }), true, (prefix) => deleteRedisKeys(prefix)));
});
