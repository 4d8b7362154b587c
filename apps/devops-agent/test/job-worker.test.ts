import { openDatabase } from '@atb/storage';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobWorker } from '../src/queue/job-worker.js';
import type { AgentStore, Job } from '../src/store/agent-store.js';
import { openAgentStore } from '../src/store/kysely-agent-store.js';
import { eventually } from './support/agent-harness.js';

describe('JobWorker on the durable jobs table', () => {
  let store: AgentStore;
  const logger = pino({ level: 'silent' });
  beforeEach(async () => {
    store = await openAgentStore(openDatabase<unknown>(':memory:'));
  });
  afterEach(async () => {
    await store.close();
  });

  it('runs due jobs, retries failures with backoff, and gives up after the last attempt', async () => {
    const seen: number[] = [];
    const onFailed = vi.fn(async (_job: Job, _error: unknown) => {});
    const worker = new JobWorker(
      store.jobs,
      {
        ok: async (job) => {
          seen.push(Number(job.payload.n));
        },
        flaky: async () => {
          throw new Error('always broken');
        },
      },
      logger,
      { concurrency: 2, pollIntervalMs: 10, maxAttempts: 3, onFailed },
    );
    await worker.start();
    await store.jobs.enqueue([{ type: 'ok', payload: { n: 1 } }, { type: 'ok', payload: { n: 2 } }, { type: 'flaky', payload: { incident_id: 'inc_x' } }, { type: 'unknown', payload: {} }]);
    worker.wake();
    await eventually(() => onFailed.mock.calls.length === 1, 10_000, 'the flaky job to fail for good');
    await worker.stop();
    expect(seen.sort()).toEqual([1, 2]);
    expect(onFailed.mock.calls[0]![0]).toMatchObject({ type: 'flaky', attempts: 2 });
    expect(await store.jobs.countByStatus()).toEqual({ done: 2, failed: 2 });
  });

  it('an idle worker polls at its idle interval, sleeps until a delayed job is due, and runs a woken one at once', async () => {
    let claims = 0;
    // The real queue, with its claims counted.
    const counted = Object.assign(Object.create(store.jobs) as typeof store.jobs, {
      claim: (...args: Parameters<AgentStore['jobs']['claim']>) => {
        claims += 1;
        return store.jobs.claim(...args);
      },
    });
    const ran: { n: number; at: number }[] = [];
    const worker = new JobWorker(counted, { work: async (job) => void ran.push({ n: Number(job.payload.n), at: Date.now() }) }, logger, { concurrency: 1, pollIntervalMs: 20, idlePollIntervalMs: 400 });
    await worker.start();
    await new Promise((resolve) => setTimeout(resolve, 1300));
    // Every 20 ms would be some 65 claims; an idle queue is asked about every 400 ms.
    expect(claims).toBeGreaterThanOrEqual(2);
    expect(claims).toBeLessThanOrEqual(6);
    const due = Date.now() + 600;
    await store.jobs.enqueue([{ type: 'work', payload: { n: 1 }, run_at: new Date(due).toISOString() }]);
    await eventually(() => ran.length === 1, 5000, 'the delayed job');
    expect(ran[0]!.at).toBeGreaterThanOrEqual(due);
    await store.jobs.enqueue([{ type: 'work', payload: { n: 2 } }]);
    worker.wake();
    await eventually(() => ran.length === 2, 5000, 'the woken job');
    await worker.stop();
    expect(ran.map((entry) => entry.n)).toEqual([1, 2]);
  });

  it('a job held by a dead worker runs on another once its lease ran out', async () => {
    await store.jobs.enqueue([{ type: 'slow', payload: {} }]);
    // A worker claims it and "dies" (its claim is never renewed nor finished).
    expect(await store.jobs.claim('dead-replica', new Date().toISOString(), 10, 1500)).toHaveLength(1);
    let ran = 0;
    const worker = new JobWorker(
      store.jobs,
      {
        slow: async () => {
          ran += 1;
        },
      },
      logger,
      { concurrency: 1, pollIntervalMs: 10 },
    );
    await worker.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran).toBe(0);
    await eventually(() => ran === 1, 5000, 'the resumed job');
    await worker.stop();
    expect(await store.jobs.countByStatus()).toEqual({ done: 1 });
  });

  it('renews its lease while a handler outlasts it, so no other worker takes the job', async () => {
    await store.jobs.enqueue([{ type: 'long', payload: {} }]);
    let runs = 0;
    const worker = new JobWorker(
      store.jobs,
      {
        long: async () => {
          runs += 1;
          await new Promise((resolve) => setTimeout(resolve, 2500));
        },
      },
      logger,
      { concurrency: 1, pollIntervalMs: 10, leaseMs: 900, owner: 'first' },
    );
    const rival = new JobWorker(
      store.jobs,
      {
        long: async () => {
          runs += 1;
        },
      },
      logger, { concurrency: 1, pollIntervalMs: 10, leaseMs: 900, owner: 'rival' });
    await worker.start();
    await eventually(() => runs === 1, 5000, 'the first run');
    await rival.start();
    await eventually(async () => (await store.jobs.countByStatus()).done === 1, 5000, 'the job to finish');
    await Promise.all([worker.stop(), rival.stop()]);
    expect(runs).toBe(1);
  });
});
