import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alert, AUTHORIZED, eventually, notification, RealGateway, startAgent } from './support/agent-harness.js';

const unavailable = await probePostgres();

describeWithComponent('PostgreSQL', unavailable, 'start it: pg_ctlcluster 15 main start', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let gateway: RealGateway;
  let started: Awaited<ReturnType<typeof startAgent>> | undefined;

  beforeAll(async () => {
    schema = await createTestSchema('devops_agent_app');
    gateway = new RealGateway();
    await gateway.start();
    started = await startAgent({ DATABASE_URL: schema.url, DATABASE_SCHEMA: schema.schema, AI_COMMAND_GATEWAY_URL: gateway.url });
  });
  afterAll(async () => {
    await started?.close();
    await gateway.stop();
    await schema.drop();
  });

  it('the agent on PostgreSQL: idempotent intake, approval, one restart, verified resolution, valid audit chain', async () => {
    const app = started!.agent.app;
    const firing = alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' });
    const responses = await Promise.all(Array.from({ length: 5 }, () => app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([firing]) })));
    expect(responses.reduce((sum, response) => sum + response.json().created, 0)).toBe(1);
    const action = await eventually(async () => (await app.inject({ url: '/actions?status=pending' })).json().actions[0] as { id: string; incident_id: string } | undefined, 10_000, 'a pending action');
    expect((await app.inject({ method: 'POST', headers: AUTHORIZED, url: `/actions/${action.id}/approve`, payload: {} })).statusCode).toBe(200);
    await eventually(() => gateway.commandRequests().length === 1, 10_000, 'the gateway request');
    await app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([{ ...firing, status: 'resolved' }]) });
    const incident = await eventually(async () => {
      const found = (await app.inject({ url: `/incidents/${action.incident_id}` })).json();
      return found.state === 'resolved' ? found : undefined;
    }, 10_000, 'resolution');
    expect(incident.actions).toEqual([expect.objectContaining({ status: 'succeeded', effective: true })]);
    expect((await app.inject({ url: '/learning/stats' })).json().stats[0]).toMatchObject({ action: 'restart', attempts: 1, successes: 1 });
    expect((await app.inject({ url: '/status' })).json().database.dialect).toBe('postgres');
    expect((await app.inject({ url: '/audit/verify' })).json().valid).toBe(true);
  });
});
