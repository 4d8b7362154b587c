import { BullMqWorkQueue } from '@atb/queue';
import { openDatabase } from '@atb/storage';
import { deleteRedisKeys, describeWithComponent, probeRedis, TEST_REDIS_URL } from '@atb/testing';
import pino from 'pino';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { JobWorker } from '../../src/queue/job-worker.js';
import { RelayedJobQueue, relayAttempts } from '../../src/queue/relayed-job-queue.js';
import type { AgentStore, Job } from '../../src/store/agent-store.js';
import { openAgentStore } from '../../src/store/kysely-agent-store.js';
import { eventually } from '../support/agent-harness.js';

// The agent's jobs on BullMQ: the table is the outbox, the real Redis runs the jobs.
describeWithComponent('Redis', await probeRedis(), 'start it: redis-server --daemonize yes', () => {
  const logger = pino({ level: 'silent' });
  let store: AgentStore;
  let prefix: string;
  const queues: RelayedJobQueue[] = [];
  const open = async (leaseMs: number) => {
    const queue = new RelayedJobQueue(store.jobs, await BullMqWorkQueue.open({ url: TEST_REDIS_URL, prefix, queue: 'jobs', leaseMs, maxAttempts: relayAttempts(3), backoffMs: 50 }));
    queues.push(queue);
    return queue;
  };
  beforeEach(async () => {
    prefix = `atb-test-relay-${process.pid}-${Date.now().toString(36)}`;
    store = await openAgentStore(openDatabase<unknown>(':memory:'));
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.close()));
    await store.close();
    await deleteRedisKeys(prefix);
  });

  it('runs each job once, retries failures and dead-letters them after the last attempt, visible in the counts', async () => {
    const seen: number[] = [];
    const onFailed = vi.fn(async (_job: Job, _error: unknown) => {});
    const jobs = await open(2000);
    const worker = new JobWorker(
      jobs,
      {
        ok: async (job) => {
          seen.push(Number(job.payload.n));
        },
        flaky: async () => {
          throw new Error('always broken');
        },
      },
      logger,
      { concurrency: 2, pollIntervalMs: 10, maxAttempts: 3, leaseMs: 2000, onFailed },
    );
    await store.jobs.enqueue([{ type: 'ok', payload: { n: 1 } }, { type: 'ok', payload: { n: 2 } }, { type: 'flaky', payload: { incident_id: 'inc_x' } }]);
    await worker.start();
    await eventually(() => onFailed.mock.calls.length === 1, 15_000, 'the flaky job to fail for good');
    await worker.stop();
    expect(seen.sort()).toEqual([1, 2]);
    expect(onFailed.mock.calls[0]![0]).toMatchObject({ type: 'flaky', attempts: 2 });
    expect(await jobs.countByStatus()).toMatchObject({ relayed: 3, queue_completed: 2, queue_dead: 1, queue_waiting: 0, queue_active: 0 });
    expect(await jobs.listDead()).toEqual([expect.objectContaining({ type: 'flaky', error: 'always broken' })]);
  });

  it('hands a job held by a dead worker to another once its lease ran out', async () => {
    await store.jobs.enqueue([{ type: 'slow', payload: {} }]);
    const dead = await open(600);
    expect(await dead.claim('dead-replica', new Date().toISOString(), 10, 600)).toHaveLength(1);
    let ran = 0;
    const worker = new JobWorker(
      await open(600),
      {
        slow: async () => {
          ran += 1;
        },
      },
      logger,
      { concurrency: 1, pollIntervalMs: 20, leaseMs: 600, owner: 'survivor' },
    );
    await worker.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ran).toBe(0);
    await eventually(() => ran === 1, 10_000, 'the job on the survivor');
    await worker.stop();
    expect(await dead.finish(1, 'dead-replica')).toBe(false);
    expect(ran).toBe(1);
  });

  it('a job whose holders all died, the last on its last attempt, still fails its incident through the hook', async () => {
    await store.jobs.enqueue([{ type: 'slow', payload: { incident_id: 'inc_dead' } }]);
    const dying = await open(300);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      let claimed: Job[] = [];
      await eventually(async () => {
        claimed = await dying.claim(`dead-replica-${attempt}`, new Date().toISOString(), 10, 300);
        return claimed.length === 1;
      }, 10_000, `delivery ${attempt} to a replica that then dies`);
      expect(claimed[0]).toMatchObject({ attempts: attempt - 1 });
    }
    let ran = 0;
    const onFailed = vi.fn(async (_job: Job, _error: unknown) => {});
    const worker = new JobWorker(
      await open(300),
      {
        slow: async () => {
          ran += 1;
        },
      },
      logger,
      { concurrency: 1, pollIntervalMs: 20, leaseMs: 300, maxAttempts: 3, owner: 'survivor', onFailed },
    );
    await worker.start();
    await eventually(() => onFailed.mock.calls.length === 1, 10_000, 'the failure hook for the exhausted job');
    await worker.stop();
    expect(ran).toBe(0);
    expect(onFailed.mock.calls[0]![0]).toMatchObject({ type: 'slow', payload: { incident_id: 'inc_dead' }, attempts: 3 });
    expect(String(onFailed.mock.calls[0]![1])).toMatch(/ran out on its last attempt/);
  });
});
