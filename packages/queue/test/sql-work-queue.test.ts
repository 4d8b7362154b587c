import { openDatabase } from '@atb/storage';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SqlWorkQueue } from '../src/sql-work-queue.js';

// What only the SQL queue offers: a job enqueued in the caller's transaction.
let database: ReturnType<typeof openDatabase<unknown>>;
let queue: SqlWorkQueue;
beforeEach(async () => {
  database = openDatabase<unknown>(':memory:');
  queue = await SqlWorkQueue.open(database, 'jobs');
  await sql`CREATE TABLE incidents (id integer primary key)`.execute(database.db);
});
afterEach(async () => {
  await queue.close();
  await database.close();
});

it('commits a job enqueued within a transaction together with the record that caused it', async () => {
  await database.db.transaction().execute(async (trx) => {
    await sql`INSERT INTO incidents (id) VALUES (1)`.execute(trx);
    await queue.enqueueWithin(trx, { type: 'analyze', payload: { incident_id: 1 } });
  });
  expect((await queue.claim('worker', 5)).map((job) => job.payload)).toEqual([{ incident_id: 1 }]);
});

it('rolls a job back with a transaction that fails', async () => {
  await expect(
    database.db.transaction().execute(async (trx) => {
      await queue.enqueueWithin(trx, { type: 'analyze', payload: { incident_id: 2 } });
      await sql`INSERT INTO incidents (id) VALUES (1), (1)`.execute(trx); // duplicate key: fails
    }),
  ).rejects.toThrow();
  expect(await queue.claim('worker', 5)).toEqual([]);
  expect(await queue.counts()).toMatchObject({ waiting: 0 });
});
