import { openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { KyselyUsageStore } from '../src/kysely-usage-store.js';
import { InMemoryUsageStore, totalsOf, type UsageRecord, type UsageStore } from '../src/usage-store.js';

const record = (overrides: Partial<UsageRecord>): UsageRecord => ({
  at: '2026-03-02T10:00:00.000Z',
  purpose: 'investigation',
  provider: 'openai:gpt-4o-mini',
  model: 'gpt-4o-mini',
  prompt_tokens: 1000,
  completion_tokens: 100,
  estimated_cost_usd: 0.00021,
  duration_ms: 850,
  outcome: 'ok',
  ...overrides,
});

/** The one contract every usage store passes. */
function usageStoreContract(open: () => Promise<{ store: UsageStore; close(): Promise<void> }>) {
  let subject: { store: UsageStore; close(): Promise<void> };
  beforeEach(async () => {
    subject = await open();
  });
  afterEach(async () => subject.close());

  it('lists records oldest first, filtered by time and incident, limited to the newest', async () => {
    await subject.store.append(record({ at: '2026-03-01T23:59:59.000Z', incident_id: 'a' }));
    await subject.store.append(record({ at: '2026-03-02T00:00:00.000Z', incident_id: 'a', outcome: 'error', error: 'timeout: x', prompt_tokens: 0, completion_tokens: 0 }));
    await subject.store.append(record({ at: '2026-03-02T01:00:00.000Z', incident_id: 'b' }));
    await subject.store.append(record({ at: '2026-03-02T02:00:00.000Z' }));
    const today = await subject.store.list({ since: new Date('2026-03-02T00:00:00Z') });
    expect(today.map((entry) => entry.at)).toEqual(['2026-03-02T00:00:00.000Z', '2026-03-02T01:00:00.000Z', '2026-03-02T02:00:00.000Z']);
    expect(today[0]).toMatchObject({ incident_id: 'a', outcome: 'error', error: 'timeout: x' });
    expect(today[2]?.incident_id).toBeUndefined();
    expect((await subject.store.list({ incident_id: 'a' })).length).toBe(2);
    expect((await subject.store.list({ limit: 1 })).map((entry) => entry.at)).toEqual(['2026-03-02T02:00:00.000Z']);
    expect(totalsOf(await subject.store.list({}))).toEqual({
      calls: 4,
      errors: 1,
      prompt_tokens: 3000,
      completion_tokens: 300,
      estimated_cost_usd: 0.00084,
    });
  });
}

describeWithComponent('in memory', undefined, '', () => {
  usageStoreContract(async () => ({ store: new InMemoryUsageStore(), close: async () => {} }));
});

describeWithComponent('SQLite', undefined, '', () => {
  usageStoreContract(async () => {
    const database = openDatabase(':memory:');
    return { store: await KyselyUsageStore.open(database), close: () => database.close() };
  });
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start it with: pg_ctlcluster --skip-systemctl-redirect 15 main start', () => {
  usageStoreContract(async () => {
    const target = await createTestSchema('llm_usage');
    const database = openDatabase(target.url, { schema: target.schema, poolSize: 2 });
    return {
      store: await KyselyUsageStore.open(database),
      close: async () => {
        await database.close();
        await target.drop();
      },
    };
  });
});
