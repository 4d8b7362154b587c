import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteRedisKeys, describeWithComponent, probeRedis, TEST_REDIS_URL } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildCodingAgent, type CodingAgent } from '../src/app.js';
import { readConfig } from '../src/config.js';

describeWithComponent('Redis', await probeRedis(), 'start it: redis-server --daemonize yes', () => {
  let directory: string;
  let agent: CodingAgent;
  const prefix = `atb-test-agent-${process.pid}-${Date.now().toString(36)}`;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'atb-coding-redis-'));
    const config = readConfig({
      DATA_DIR: directory,
      WORKSPACE_BASE_PATH: join(directory, 'workspaces'),
      ENABLE_SANDBOXING: 'false',
      LOG_LEVEL: 'silent',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
    });
    agent = await buildCodingAgent(config, { logger: false });
  });
  afterAll(async () => {
    await agent?.close();
    await deleteRedisKeys(prefix);
    await rm(directory, { recursive: true, force: true });
  });

  it('queues its tasks in Redis (BullMQ) when REDIS_URL is set, and runs them from there', async () => {
    const created = await agent.app.inject({
      method: 'POST',
      url: '/tasks',
      headers: { authorization: `Bearer ${agent.token}` },
      payload: { repository: 'atb/market-predictor', requirement: 'add a /version endpoint' },
    });
    expect(created.statusCode).toBe(202);
    const taskId = created.json<{ task_id: string }>().task_id;
    // No model is configured: the task is taken from the queue and fails at once, with the reason.
    await expect
      .poll(async () => (await agent.app.inject({ method: 'GET', url: `/tasks/${taskId}`, headers: { authorization: `Bearer ${agent.token}` } })).json<{ status: string }>().status, {
        timeout: 10_000,
      })
      .toBe('failed');
    await expect
      .poll(async () => (await agent.app.inject({ method: 'GET', url: '/status', headers: { authorization: `Bearer ${agent.token}` } })).json<{ queue: Record<string, unknown> }>().queue, {
        timeout: 5000,
      })
      .toMatchObject({ backend: 'bullmq', completed: 1, active: 0, dead: 0 });
  });
});

it('refuses a REDIS_URL that is not a redis:// URL, naming the variable', () => {
  expect(() => readConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
});
