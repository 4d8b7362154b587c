import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ClaimedJob, WorkQueue, WorkQueueOptions } from '../src/work-queue.js';

/** One backing store (a database, a Redis prefix) and a way to open consumers on it. */
export interface QueueFixture {
  /** Opens another handle on the same queue: another consumer, as another replica would. */
  open(options?: WorkQueueOptions): Promise<WorkQueue>;
  /** Closes every handle still open and removes the store. */
  destroy(): Promise<void>;
}

// Long enough that a heartbeat on a busy machine (2 cores, several test runs) never misses it.
const LEASE_MS = 1000;

/** Claims until a job arrives or `timeoutMs` passes. */
async function claimOne(queue: WorkQueue, owner: string, timeoutMs = 6000): Promise<ClaimedJob | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [job] = await queue.claim(owner, 1);
    if (job) return job;
    await sleep(25);
  }
  return undefined;
}

/** Takes jobs until the queue stays empty for a while; answers the ids it took. */
async function drain(queue: WorkQueue, owner: string): Promise<string[]> {
  const taken: string[] = [];
  let idle = 0;
  while (idle < 5) {
    const jobs = await queue.claim(owner, 3);
    if (jobs.length === 0) {
      idle += 1;
      await sleep(10);
      continue;
    }
    idle = 0;
    for (const job of jobs) {
      taken.push(job.id);
      expect(await queue.complete(job.id, owner)).toBe(true);
    }
  }
  return taken;
}

const options: WorkQueueOptions = { leaseMs: LEASE_MS, maxAttempts: 3, backoffMs: 200, maxBackoffMs: 5000 };

/** The contract every `WorkQueue` implementation passes, on its real backing store. */
export function workQueueContract(create: () => Promise<QueueFixture>): void {
  let fixture: QueueFixture;
  beforeEach(async () => {
    fixture = await create();
  });
  afterEach(async () => {
    await fixture.destroy();
  });
  const current = () => fixture;
  deliveryCases(current);
  leaseCases(current);
  failureAndSchedulingCases(current);
}

/** Delivery: once, and never to two consumers at a time. */
function deliveryCases(current: () => QueueFixture): void {
  it('delivers a job with its payload, once, and counts it finished', async () => {
    const queue = await current().open(options);
    const id = await queue.enqueue({ type: 'analyze', payload: { incident_id: 7 } });
    const [job, ...rest] = await queue.claim('worker-a', 5);
    expect(rest).toEqual([]);
    expect(job).toMatchObject({ id, type: 'analyze', payload: { incident_id: 7 }, attempt: 1 });
    expect(await queue.claim('worker-b', 5)).toEqual([]);
    expect(await queue.counts()).toMatchObject({ waiting: 0, active: 1, dead: 0 });
    expect(await queue.complete(id, 'worker-a')).toBe(true);
    expect(await queue.counts()).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 1, dead: 0 });
  });

  it('never gives one job to two concurrent consumers', async () => {
    const [first, second] = [await current().open(options), await current().open(options)];
    const ids = await Promise.all(Array.from({ length: 30 }, (_, index) => first.enqueue({ type: 'n', payload: { index } })));
    const [takenByFirst, takenBySecond] = await Promise.all([drain(first, 'first'), drain(second, 'second')]);
    const all = [...takenByFirst, ...takenBySecond];
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual([...ids].sort());
  });
}

/** Leases: heartbeats keep a job, a dead consumer loses it, a release gives it back. */
function leaseCases(current: () => QueueFixture): void {
  it('redelivers, once, the job of a consumer that died without renewing its lease', async () => {
    const dying = await current().open(options);
    const survivor = await current().open(options);
    const id = await dying.enqueue({ type: 'n', payload: {} });
    expect((await dying.claim('dying', 1)).map((job) => job.id)).toEqual([id]);
    await dying.close(); // killed mid-job: never renews, completes or fails
    expect(await survivor.claim('survivor', 1)).toEqual([]); // its lease still holds
    const redelivered = await claimOne(survivor, 'survivor');
    expect(redelivered).toMatchObject({ id, attempt: 2 });
    expect(await survivor.complete(id, 'survivor')).toBe(true);
    await sleep(LEASE_MS * 2);
    expect(await survivor.claim('survivor', 1)).toEqual([]);
    expect(await survivor.counts()).toMatchObject({ completed: 1, active: 0, waiting: 0 });
  });

  it('keeps the job of a consumer that renews its lease (heartbeats)', async () => {
    const [holder, other] = [await current().open(options), await current().open(options)];
    const id = await holder.enqueue({ type: 'n', payload: {} });
    await holder.claim('holder', 1);
    for (let beat = 0; beat < 8; beat += 1) {
      await sleep(LEASE_MS / 3);
      expect(await holder.renew(id, 'holder')).toBe(true);
      expect(await other.claim('other', 1)).toEqual([]);
    }
    expect(await holder.complete(id, 'holder')).toBe(true);
  });

  it('answers that a lease ran out: no renewal, completion or failure by its former holder', async () => {
    const queue = await current().open(options);
    const id = await queue.enqueue({ type: 'n', payload: {} });
    await queue.claim('slow', 1);
    await sleep(LEASE_MS + 300);
    expect(await queue.renew(id, 'slow')).toBe(false);
    expect(await queue.complete(id, 'slow')).toBe(false);
    expect(await queue.fail(id, 'slow', 'too late')).toBe('lease-lost');
    expect(await claimOne(queue, 'next')).toMatchObject({ id, attempt: 2 });
    expect(await queue.complete(id, 'stranger')).toBe(false);
  });

  it('takes a released job back at once, for any consumer', async () => {
    const [leaving, staying] = [await current().open(options), await current().open(options)];
    const id = await leaving.enqueue({ type: 'n', payload: {} });
    await leaving.claim('leaving', 1);
    expect(await leaving.release(id, 'leaving')).toBe(true);
    expect(await leaving.release(id, 'leaving')).toBe(false);
    const [again] = await staying.claim('staying', 1);
    expect(again).toMatchObject({ id, attempt: 2 });
    expect(await staying.complete(id, 'staying')).toBe(true);
  });
}

/** Retries, dead letters, dedupe and delayed jobs. */
function failureAndSchedulingCases(current: () => QueueFixture): void {
  it('retries a failed job after an exponential backoff and dead-letters it after maxAttempts', async () => {
    const queue = await current().open(options);
    const id = await queue.enqueue({ type: 'flaky', payload: { n: 1 } });
    const outcomes: string[] = [];
    const waits: number[] = [];
    let failedAt = 0;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const job = await claimOne(queue, 'worker');
      if (failedAt) waits.push(Date.now() - failedAt);
      expect(job).toMatchObject({ id, attempt });
      // Timed from before the call: the backoff runs from when the queue recorded the failure.
      failedAt = Date.now();
      outcomes.push(await queue.fail(id, 'worker', `boom ${attempt}`));
      expect(await queue.claim('worker', 1)).toEqual([]);
    }
    expect(outcomes).toEqual(['retry-scheduled', 'retry-scheduled', 'dead-lettered']);
    expect(waits[0]).toBeGreaterThanOrEqual(180);
    expect(waits[1]).toBeGreaterThanOrEqual(380);
    await sleep(500);
    expect(await queue.claim('worker', 1)).toEqual([]);
    const dead = await queue.listDead();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id, type: 'flaky', payload: { n: 1 }, attempts: 3, error: 'boom 3' });
    expect(await queue.counts()).toMatchObject({ dead: 1, waiting: 0, delayed: 0, active: 0 });
  });

  it('dead-letters at once a failure that no retry can fix', async () => {
    const queue = await current().open(options);
    const id = await queue.enqueue({ type: 'unknown', payload: {} });
    await queue.claim('worker', 1);
    expect(await queue.fail(id, 'worker', 'no handler for job type "unknown"', { retry: false })).toBe('dead-lettered');
    expect((await queue.listDead()).map((job) => [job.id, job.attempts, job.error])).toEqual([
      [id, 1, 'no handler for job type "unknown"'],
    ]);
  });

  it('enqueues a job with a used dedupe key only once', async () => {
    const [first, second] = [await current().open(options), await current().open(options)];
    const ids = await Promise.all([
      first.enqueue({ type: 'analyze', payload: { v: 1 }, dedupeKey: 'analyze:42:0' }),
      second.enqueue({ type: 'analyze', payload: { v: 2 }, dedupeKey: 'analyze:42:0' }),
    ]);
    expect(ids[1]).toBe(ids[0]);
    const job = await claimOne(first, 'worker');
    expect(job).toMatchObject({ id: ids[0], dedupeKey: 'analyze:42:0' });
    expect(await first.complete(ids[0] as string, 'worker')).toBe(true);
    expect(await second.enqueue({ type: 'analyze', payload: {}, dedupeKey: 'analyze:42:0' })).toBe(ids[0]);
    expect(await first.claim('worker', 5)).toEqual([]);
    const other = await first.enqueue({ type: 'analyze', payload: {}, dedupeKey: 'analyze:42:1' });
    expect(other).not.toBe(ids[0]);
  });

  it('holds a delayed job back until its run_at', async () => {
    const queue = await current().open(options);
    const runAt = new Date(Date.now() + 800);
    const id = await queue.enqueue({ type: 'later', payload: {}, runAt });
    expect(await queue.claim('worker', 1)).toEqual([]);
    expect(await queue.counts()).toMatchObject({ delayed: 1, waiting: 0 });
    const job = await claimOne(queue, 'worker');
    expect(Date.now()).toBeGreaterThanOrEqual(runAt.getTime() - 20);
    expect(job?.id).toBe(id);
  });
}
