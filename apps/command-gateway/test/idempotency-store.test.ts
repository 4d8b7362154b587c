import type { ExecuteCommandResponse } from '@atb/contracts';
import { type Database, openDatabase } from '@atb/storage';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { IdempotencyStore } from '../src/store/idempotency-store.js';

const soon = () => new Date(Date.now() + 60_000);

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
    expect(await store.claim('devops-agent', 'k1', 'hash', 'request-1', 'gateway-a', soon())).toBe(true);
    expect(await store.claim('devops-agent', 'k1', 'hash', 'request-2', 'gateway-a', soon())).toBe(false);
    expect(await store.claim('atb-cli', 'k1', 'hash', 'request-3', 'gateway-a', soon())).toBe(true);
    expect(await store.find('devops-agent', 'k1')).toMatchObject({ state: 'pending', requestHash: 'hash', requestId: 'request-1', owner: 'gateway-a' });
  });

  it('keeps the completed response', async () => {
    const first = response('request-1');
    await store.claim('devops-agent', 'k2', 'hash', 'request-1', 'gateway-a', soon());
    await store.complete('devops-agent', 'k2', first);
    expect(await store.find('devops-agent', 'k2')).toEqual({ state: 'done', requestHash: 'hash', requestId: 'request-1', response: first });
  });

  it("releases its owner's pending claim (nothing executed) but never another's or a completed one", async () => {
    await store.claim('devops-agent', 'k3', 'hash', 'request-1', 'gateway-a', soon());
    await store.release('devops-agent', 'k3', 'gateway-b');
    expect((await store.find('devops-agent', 'k3'))?.state).toBe('pending');
    await store.release('devops-agent', 'k3', 'gateway-a');
    expect(await store.find('devops-agent', 'k3')).toBeUndefined();
    await store.claim('devops-agent', 'k4', 'hash', 'request-2', 'gateway-a', soon());
    await store.complete('devops-agent', 'k4', response('request-2'));
    await store.release('devops-agent', 'k4', 'gateway-a');
    expect((await store.find('devops-agent', 'k4'))?.state).toBe('done');
  });

  it('lists and closes only the claims whose owner stopped renewing', async () => {
    await store.claim('devops-agent', 'k5', 'hash', 'request-5', 'dead-gateway', new Date(Date.now() - 1000));
    await store.claim('devops-agent', 'k6', 'hash', 'request-6', 'live-gateway', soon());
    const expired = await store.expired(new Date());
    expect(expired).toEqual([expect.objectContaining({ sourceId: 'devops-agent', key: 'k5', requestId: 'request-5', owner: 'dead-gateway' })]);
    expect(await store.closeExpired('devops-agent', 'k6', response('request-6'), new Date())).toBe(false);
    expect(await store.find('devops-agent', 'k6')).toMatchObject({ state: 'pending', owner: 'live-gateway' });
    expect(await store.closeExpired('devops-agent', 'k5', response('request-5'), new Date())).toBe(true);
    expect(await store.find('devops-agent', 'k5')).toMatchObject({ state: 'done', response: { request_id: 'request-5' } });
  });

  it('records the dispatch on its own claim only, and a dispatched claim is taken over only where asked', async () => {
    await store.claim('devops-agent', 'k8', 'hash', 'request-8', 'gateway-a', new Date(Date.now() - 1000));
    expect(await store.markDispatched('devops-agent', 'k8', 'gateway-b', { operation: 'restart', target: 'market-predictor' })).toBe(false);
    expect(await store.takeOver('devops-agent', 'k8', 'gateway-b', soon(), new Date())).toBe(true);
    expect(await store.find('devops-agent', 'k8')).toMatchObject({ state: 'pending', owner: 'gateway-b' });
    expect(await store.takeOver('devops-agent', 'k8', 'gateway-c', soon(), new Date())).toBe(false); // its lease is live again
    expect(await store.markDispatched('devops-agent', 'k8', 'gateway-a', { operation: 'restart', target: 'market-predictor' })).toBe(false);
    expect(await store.markDispatched('devops-agent', 'k8', 'gateway-b', { operation: 'restart', target: 'market-predictor' })).toBe(true);
    const found = await store.find('devops-agent', 'k8');
    expect(found).toMatchObject({ state: 'pending', dispatch: { operation: 'restart', target: 'market-predictor' } });
    await store.renew('devops-agent', 'k8', 'gateway-b', new Date(Date.now() - 1000));
    expect(await store.takeOver('devops-agent', 'k8', 'gateway-c', soon(), new Date())).toBe(false);
    // Unless the runtime performs an operation once per request id: then it may be run again.
    expect(await store.takeOver('devops-agent', 'k8', 'gateway-c', soon(), new Date(), 'too')).toBe(true);
  });

  it('renews only its own pending claim, and a renewed claim is not expired', async () => {
    await store.claim('devops-agent', 'k7', 'hash', 'request-7', 'gateway-a', new Date(Date.now() + 50));
    expect(await store.renew('devops-agent', 'k7', 'gateway-b', soon())).toBe(false);
    expect(await store.renew('devops-agent', 'k7', 'gateway-a', soon())).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.expired(new Date())).toEqual([]);
    expect(await store.closeExpired('devops-agent', 'k7', response('request-7'), new Date())).toBe(false);
    await store.complete('devops-agent', 'k7', response('request-7'));
    expect(await store.renew('devops-agent', 'k7', 'gateway-a', soon())).toBe(false);
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
