import type { ExecuteCommandResponse } from '@atb/contracts';
import { type Database, openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { IdempotencyStore } from '../src/store/idempotency-store.js';

const response = (requestId: string): ExecuteCommandResponse => ({
  request_id: requestId,
  timestamp_processed_utc: new Date().toISOString(),
  overall_status: 'success',
  execution_details: { command: 'docker restart market-predictor', execution_result: 'restarted', execution_time_ms: 12 },
});

/** The idempotency store's contract, on SQLite and PostgreSQL. */
function idempotencyStoreContract(open: () => Promise<{ database: Database<unknown>; close(): Promise<void> }>) {
  let subject: { database: Database<unknown>; close(): Promise<void> };
  let store: IdempotencyStore;
  beforeEach(async () => {
    subject = await open();
    store = await IdempotencyStore.open(subject.database);
  });
  afterEach(async () => subject.close());

  it('claims a key once, per source', async () => {
    expect(await store.claim('devops-agent', 'k1', 'hash', 'request-1')).toBe(true);
    expect(await store.claim('devops-agent', 'k1', 'hash', 'request-2')).toBe(false);
    expect(await store.claim('atb-cli', 'k1', 'hash', 'request-3')).toBe(true);
    expect(await store.find('devops-agent', 'k1')).toEqual({ state: 'pending', requestHash: 'hash', requestId: 'request-1' });
  });

  it('keeps the completed response', async () => {
    const first = response('request-1');
    await store.claim('devops-agent', 'k2', 'hash', 'request-1');
    await store.complete('devops-agent', 'k2', first);
    expect(await store.find('devops-agent', 'k2')).toEqual({ state: 'done', requestHash: 'hash', requestId: 'request-1', response: first });
  });

  it('releases a pending claim (nothing executed) but never a completed one', async () => {
    await store.claim('devops-agent', 'k3', 'hash', 'request-1');
    await store.release('devops-agent', 'k3');
    expect(await store.find('devops-agent', 'k3')).toBeUndefined();
    await store.claim('devops-agent', 'k4', 'hash', 'request-2');
    await store.complete('devops-agent', 'k4', response('request-2'));
    await store.release('devops-agent', 'k4');
    expect((await store.find('devops-agent', 'k4'))?.state).toBe('done');
  });

  it('closes claims a crash left pending as error, outcome unknown', async () => {
    await store.claim('devops-agent', 'k5', 'hash', 'request-5');
    expect(await store.closeInterrupted(new Date(Date.now() + 1000))).toBe(1);
    const found = await store.find('devops-agent', 'k5');
    expect(found).toMatchObject({ state: 'done', response: { request_id: 'request-5', overall_status: 'error' } });
    if (found?.state === 'done') expect(String(found.response.execution_details.execution_result)).toMatch(/not executed again/);
  });
}

describeWithComponent('SQLite', undefined, '', () => {
  idempotencyStoreContract(async () => {
    const database = openDatabase<unknown>(':memory:');
    return { database, close: () => database.close() };
  });
});

describeWithComponent(
  'PostgreSQL',
  await probePostgres(),
  'start it with: pg_ctlcluster --skip-systemctl-redirect 15 main start',
  () => {
    idempotencyStoreContract(async () => {
      const target = await createTestSchema('gateway_idempotency');
      const database = openDatabase<unknown>(target.url, { schema: target.schema, poolSize: 2 });
      return {
        database,
        close: async () => {
          await database.close();
          await target.drop();
        },
      };
    });
  },
);
