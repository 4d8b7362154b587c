import { expect, it } from 'vitest';
import { onEveryDatabase } from './store-fixtures.js';

const now = () => new Date().toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The contract of JobQueue: durable, deduplicated, leased to one replica at a time. */
await onEveryDatabase('JobQueue', (subject) => {
  it('keeps jobs durable: retries are delayed, dead letters recorded with their error', async () => {
    const { jobs } = subject().store;
    await jobs.enqueue([{ type: 'a', payload: { n: 1 } }, { type: 'b', payload: { n: 2 }, run_at: new Date(Date.now() + 600_000).toISOString() }]);
    const [job] = await jobs.claim('one', now(), 10, 30_000);
    expect(job).toMatchObject({ type: 'a', payload: { n: 1 }, attempts: 0 });
    expect(await jobs.claim('two', now(), 10, 30_000)).toEqual([]);
    expect(await jobs.retry(job!.id, 'one', new Date(Date.now() + 60_000).toISOString(), 'boom')).toBe(true);
    expect(await jobs.claim('one', now(), 10, 30_000)).toEqual([]);
    expect(await jobs.countByStatus()).toEqual({ queued: 2 });
    const [due] = await jobs.claim('one', new Date(Date.now() + 61_000).toISOString(), 1, 30_000);
    expect(due).toMatchObject({ id: job!.id, attempts: 1 });
    expect(await jobs.fail(due!.id, 'one', 'gave up')).toBe(true);
    expect(await jobs.countByStatus()).toEqual({ queued: 1, failed: 1 });
    // Delivered twice: the retried delivery and the one that gave up.
    expect(await jobs.listDead()).toEqual([expect.objectContaining({ id: job!.id, type: 'a', attempts: 2, error: 'gave up' })]);
  });

  it('says when a job is next due: the earliest queued run_at or running lease end; nothing when none waits', async () => {
    const { jobs } = subject().store;
    expect(await jobs.nextDueAt?.()).toBeUndefined();
    const sooner = new Date(Date.now() + 30_000).toISOString();
    await jobs.enqueue([{ type: 'a', payload: {}, run_at: new Date(Date.now() + 60_000).toISOString() }, { type: 'b', payload: {}, run_at: sooner }, { type: 'c', payload: {} }]);
    const before = Date.now();
    const [held] = await jobs.claim('one', now(), 1, 10_000);
    expect(held).toMatchObject({ type: 'c' });
    const leaseEnd = Date.parse((await jobs.nextDueAt!())!);
    expect(leaseEnd).toBeGreaterThanOrEqual(before + 10_000);
    expect(leaseEnd).toBeLessThan(Date.parse(sooner));
    expect(await jobs.finish(held!.id, 'one')).toBe(true);
    expect(await jobs.nextDueAt!()).toBe(sooner);
  });

  it('enqueues a deduplicated job once and finishes only a held job', async () => {
    const { jobs } = subject().store;
    await jobs.enqueue([{ type: 'a', payload: {}, dedupe_key: 'once' }]);
    await jobs.enqueue([{ type: 'a', payload: {}, dedupe_key: 'once' }]);
    const claimed = await jobs.claim('one', now(), 10, 30_000);
    expect(claimed).toHaveLength(1);
    expect(await jobs.finish(claimed[0]!.id, 'two')).toBe(false);
    expect(await jobs.finish(claimed[0]!.id, 'one')).toBe(true);
    expect(await jobs.finish(claimed[0]!.id, 'one')).toBe(false);
    expect(await jobs.countByStatus()).toEqual({ done: 1 });
  });

  it('hands a dead holder’s job to another replica once its lease ran out, and the old lease is final', async () => {
    const { jobs } = subject().store;
    await jobs.enqueue([{ type: 'slow', payload: {} }]);
    const [held] = await jobs.claim('dead', now(), 10, 150);
    expect(await jobs.renew(held!.id, 'dead', 150)).toBe(true);
    expect(await jobs.claim('alive', now(), 10, 30_000)).toEqual([]);
    await sleep(250);
    const [again] = await jobs.claim('alive', now(), 10, 30_000);
    expect(again).toMatchObject({ id: held!.id, attempts: 1 });
    expect(await jobs.renew(held!.id, 'dead', 150)).toBe(false);
    expect(await jobs.finish(held!.id, 'dead')).toBe(false);
    expect(await jobs.retry(held!.id, 'dead', now(), 'late')).toBe(false);
    expect(await jobs.fail(held!.id, 'dead', 'late')).toBe(false);
    expect(await jobs.finish(again!.id, 'alive')).toBe(true);
  });

  it('gives back only its own jobs at an orderly stop', async () => {
    const { jobs } = subject().store;
    await jobs.enqueue([{ type: 'a', payload: {} }, { type: 'b', payload: {} }]);
    await jobs.claim('one', now(), 1, 30_000);
    await jobs.claim('two', now(), 1, 30_000);
    expect(await jobs.release('one')).toBe(1);
    const [back] = await jobs.claim('three', now(), 10, 30_000);
    expect(back).toMatchObject({ type: 'a', attempts: 0 });
  });

  it('never hands one job to two replicas claiming at once', async () => {
    const { jobs } = subject().store;
    await jobs.enqueue(Array.from({ length: 60 }, (_, n) => ({ type: 'a', payload: { n } })));
    const claims = await Promise.all(['r1', 'r2', 'r3', 'r1', 'r2', 'r3'].map((owner) => jobs.claim(owner, now(), 15, 30_000)));
    const ids = claims.flat().map((job) => job.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(60);
  });
});
