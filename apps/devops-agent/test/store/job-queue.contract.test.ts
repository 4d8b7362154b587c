import { expect, it } from 'vitest';
import { onEveryDatabase } from './store-fixtures.js';

/** The contract of JobQueue: durable, deduplicated, crash-safe. */
await onEveryDatabase('JobQueue', (subject) => {
  it('keeps jobs durable: running jobs are re-queued, retries are delayed, failures recorded', async () => {
    const { jobs } = subject().store;
    await jobs.enqueue([{ type: 'a', payload: { n: 1 } }, { type: 'b', payload: { n: 2 }, run_at: new Date(Date.now() + 60_000).toISOString() }]);
    const [job] = await jobs.claim(new Date().toISOString(), 10);
    expect(job).toMatchObject({ type: 'a', payload: { n: 1 }, attempts: 0 });
    expect(await jobs.claim(new Date().toISOString(), 10)).toEqual([]);
    expect(await jobs.requeueRunning()).toBe(1);
    const [again] = await jobs.claim(new Date().toISOString(), 10);
    await jobs.retry(again!.id, new Date(Date.now() + 60_000).toISOString(), 'boom');
    expect(await jobs.claim(new Date().toISOString(), 10)).toEqual([]);
    await jobs.fail(again!.id, 'gave up');
    expect(await jobs.countByStatus()).toEqual({ queued: 1, failed: 1 });
  });

  it('enqueues a deduplicated job once and finishes only running jobs', async () => {
    const { jobs } = subject().store;
    await jobs.enqueue([{ type: 'a', payload: {}, dedupe_key: 'once' }]);
    await jobs.enqueue([{ type: 'a', payload: {}, dedupe_key: 'once' }]);
    const claimed = await jobs.claim(new Date().toISOString(), 10);
    expect(claimed).toHaveLength(1);
    await jobs.finish(claimed[0]!.id);
    expect(await jobs.countByStatus()).toEqual({ done: 1 });
  });
});
