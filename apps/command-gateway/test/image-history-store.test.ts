import { type Database, openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ImageHistoryStore, previousImage } from '../src/store/image-history-store.js';

/** The image history store's contract, on SQLite and PostgreSQL. */
function imageHistoryContract(open: () => Promise<{ database: Database<unknown>; close(): Promise<void> }>) {
  let subject: { database: Database<unknown>; close(): Promise<void> };
  let store: ImageHistoryStore;
  beforeEach(async () => {
    subject = await open();
    store = await ImageHistoryStore.open(subject.database);
  });
  afterEach(async () => subject.close());

  it('records a change only when the image differs from the newest entry, per target', async () => {
    expect(await store.observe('app', 'localhost/app:1', 'sha-1', new Date('2026-01-01T00:00:00Z'))).toBe(true);
    expect(await store.observe('app', 'localhost/app:1', 'sha-1', new Date('2026-01-01T00:05:00Z'))).toBe(false);
    expect(await store.observe('app', 'localhost/app:2', 'sha-2', new Date('2026-01-01T01:00:00Z'))).toBe(true);
    expect(await store.observe('other', 'localhost/other:1', 'sha-9', new Date('2026-01-01T01:00:00Z'))).toBe(true);
    expect(await store.history('app')).toEqual([
      { image: 'localhost/app:1', image_id: 'sha-1', first_seen_at: '2026-01-01T00:00:00.000Z' },
      { image: 'localhost/app:2', image_id: 'sha-2', first_seen_at: '2026-01-01T01:00:00.000Z' },
    ]);
    expect(await store.history('nobody')).toEqual([]);
  });

  it('knows the image before the current one, and none for a first image', async () => {
    await store.observe('app', 'localhost/app:1', 'sha-1', new Date());
    expect(previousImage(await store.history('app'), 'sha-1')).toBeUndefined();
    await store.observe('app', 'localhost/app:2', 'sha-2', new Date());
    expect(previousImage(await store.history('app'), 'sha-2')).toMatchObject({ image_id: 'sha-1' });
    // After a rollback the old image is newest again: rolling back once more returns to the newer one.
    await store.observe('app', 'localhost/app:1', 'sha-1', new Date());
    expect(previousImage(await store.history('app'), 'sha-1')).toMatchObject({ image_id: 'sha-2' });
  });

  it('keeps the newest 20 entries per target', async () => {
    for (let index = 0; index < 25; index++) await store.observe('app', `localhost/app:${index}`, `sha-${index}`, new Date());
    const history = await store.history('app');
    expect(history).toHaveLength(20);
    expect(history[0]!.image_id).toBe('sha-5');
  });
}

describeWithComponent('SQLite', undefined, '', () => {
  imageHistoryContract(async () => {
    const database = openDatabase<unknown>(':memory:');
    return { database, close: () => database.close() };
  });
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start PostgreSQL on 127.0.0.1:5432 (database test, trust auth) or set TEST_DATABASE_URL', () => {
  imageHistoryContract(async () => {
    const target = await createTestSchema('gateway_image_history');
    const database = openDatabase<unknown>(target.url, { schema: target.schema, poolSize: 2 });
    return { database, close: async () => { await database.close(); await target.drop(); } };
  });
});
