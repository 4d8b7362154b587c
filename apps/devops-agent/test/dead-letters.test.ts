import { deleteRedisKeys, describeWithComponent, probeRedis, TEST_REDIS_URL } from '@atb/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AUTHORIZED, alert, eventually, notification, RealGateway, startAgent } from './support/agent-harness.js';
import { FakeTarget } from './support/fake-target.js';

const MAX_ATTEMPTS = 3;

/**
 * A job that fails on every attempt — the escalation webhook answers 500 — becomes a dead letter
 * after JOB_MAX_ATTEMPTS deliveries, and shows as one on `/status` and on the dashboard's
 * overview, with its type, attempts and last error. On the jobs table and, with `REDIS_URL`, on
 * BullMQ.
 */
function deadLetterSuite(backend: 'database' | 'redis') {
  const redisPrefix = `atb-test-dead-letters-${process.pid}-${Date.now().toString(36)}`;
  let started: Awaited<ReturnType<typeof startAgent>> | undefined;
  let gateway: RealGateway;
  let webhook: FakeTarget;

  beforeEach(async () => {
    gateway = new RealGateway({ targets: ['predictor-1'] });
    await gateway.start();
    webhook = new FakeTarget();
    await webhook.start();
    webhook.routes.set('POST /slack', () => [500, { error: 'webhook down' }]);
    started = await startAgent({
      AI_COMMAND_GATEWAY_URL: gateway.url,
      MARKET_PREDICTOR_URL: webhook.url,
      ESCALATION_WEBHOOK_URL: `${webhook.url}/slack`,
      SAFETY_MODE: 'true',
      JOB_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      ...(backend === 'redis' ? { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix } : {}),
    });
  });
  afterEach(async () => {
    await started?.close();
    await gateway?.stop();
    await webhook?.stop();
    if (backend === 'redis') await deleteRedisKeys(redisPrefix);
  });

  it(`shows a job that failed ${MAX_ATTEMPTS} times as a dead letter on /status and the dashboard`, async () => {
    const app = started!.agent.app;
    await app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' })]) });
    const action = await eventually(
      async () => (await app.inject({ url: '/actions?status=pending', headers: AUTHORIZED })).json().actions[0] as { id: string } | undefined,
      10_000,
      'a pending action',
    );
    // Rejected: the incident is escalated, and the escalation's notification can never be posted.
    const rejected = await app.inject({ method: 'POST', headers: AUTHORIZED, url: `/actions/${action.id}/reject`, payload: { reason: 'not now' } });
    expect(rejected.statusCode).toBe(200);
    type Status = { queue_backend: string; queue: Record<string, number>; dead_letters: { type: string; attempts: number; error: string }[] };
    const status = await eventually(
      async () => {
        const document = (await app.inject({ url: '/status', headers: AUTHORIZED })).json() as Status;
        return document.dead_letters.length > 0 ? document : undefined;
      },
      60_000,
      'a dead letter on /status',
    );
    expect(status.queue_backend).toBe(backend === 'redis' ? 'bullmq' : 'database');
    expect(status.dead_letters).toEqual([expect.objectContaining({ type: 'notify-escalation', attempts: MAX_ATTEMPTS, error: expect.stringMatching(/escalation webhook answered 500/) })]);
    expect(webhook.posts.filter((post) => post.url === 'POST /slack')).toHaveLength(MAX_ATTEMPTS);
    const dashboard = await app.inject({ url: '/dashboard', headers: AUTHORIZED });
    expect(dashboard.statusCode).toBe(200);
    const table = /<table id="dead-letters">[\s\S]*?<\/table>/.exec(dashboard.body)?.[0] ?? '';
    expect(table).toContain('notify-escalation');
    expect(table).toContain('escalation webhook answered 500');
  }, 90_000);
}

describeWithComponent('SQLite', undefined, '', () => deadLetterSuite('database'));
describeWithComponent('Redis', await probeRedis(), 'start it: redis-server --daemonize yes', () => deadLetterSuite('redis'));
