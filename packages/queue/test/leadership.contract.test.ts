import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, openDatabase } from '@atb/storage';
import { createTestSchema, deleteRedisKeys, describeWithComponent, probePostgres, probeRedis, TEST_REDIS_URL } from '@atb/testing';
import type { Leadership } from '../src/leadership.js';
import { RedisLeadership } from '../src/redis-leadership.js';
import { SqlLeadership } from '../src/sql-leadership.js';
import { type LeadershipFixture, leadershipContract } from './leadership.contract.js';

/** Handles on one SQL database: each replica its own connection pool, as separate processes would have. */
function onDatabase(open: () => Database<unknown>, remove: () => Promise<void>): LeadershipFixture {
  const databases: Database<unknown>[] = [];
  return {
    open(options) {
      const database = open();
      databases.push(database);
      return SqlLeadership.open(database, options);
    },
    async destroy() {
      await Promise.all(databases.map((database) => database.close().catch(() => {})));
      await remove();
    },
  };
}

describeWithComponent('SQLite', undefined, '', () => {
  leadershipContract(async () => {
    const directory = mkdtempSync(join(tmpdir(), 'atb-leadership-'));
    return onDatabase(
      () => openDatabase(join(directory, 'leases.db')),
      async () => rmSync(directory, { recursive: true, force: true }),
    );
  });
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start it: pg_ctlcluster 15 main start', () => {
  leadershipContract(async () => {
    const schema = await createTestSchema('leadership');
    return onDatabase(
      () => openDatabase(schema.url, { schema: schema.schema, poolSize: 2 }),
      () => schema.drop(),
    );
  });
});

describeWithComponent('Redis', await probeRedis(), 'start it: redis-server --daemonize yes', () => {
  leadershipContract(async () => {
    const prefix = `atb-test-leader-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const handles: Leadership[] = [];
    return {
      async open(options) {
        const handle = await RedisLeadership.open({ url: TEST_REDIS_URL, prefix, ...options });
        handles.push(handle);
        return handle;
      },
      async destroy() {
        await Promise.all(handles.map((handle) => handle.close()));
        await deleteRedisKeys(prefix);
      },
    };
  });
});
