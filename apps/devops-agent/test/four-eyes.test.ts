import { afterEach, describe, expect, it } from 'vitest';
import { alert, eventually, issueToken, notification, RealGateway, startAgent } from './support/agent-harness.js';

type Started = Awaited<ReturnType<typeof startAgent>>;

describe('four eyes (REQUIRE_SECOND_APPROVER=true)', () => {
  let started: Started | undefined;
  let gateway: RealGateway | undefined;
  afterEach(async () => {
    await started?.close();
    await gateway?.stop();
    started = undefined;
    gateway = undefined;
  });

  async function highRiskPending(environment: Record<string, string>) {
    gateway = new RealGateway({ targets: ['predictor-1'] });
    await gateway.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, MARKET_PREDICTOR_URL: gateway.url, SAFETY_MODE: 'true', ...environment });
    const app = started.agent.app;
    await app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', container: 'predictor-1' })]) });
    const action = await eventually(async () => (await app.inject({ url: '/actions?status=pending' })).json().actions[0] as { id: string; incident_id: string } | undefined, 5000, 'a pending action');
    // The proposal made high-risk (as rollback and stop are), through the agent's own unit of work.
    expect(await started.agent.agent.store.changes.commit({ updateAction: { id: action.id, patch: { risk: 'high' }, expectStatuses: ['pending'] } })).toBeTruthy();
    const bearer = async (name: string) => ({ authorization: `Bearer ${await issueToken(started!.agent, { name, role: 'operator' })}` });
    return { app, action, alice: await bearer('alice'), bob: await bearer('bob') };
  }

  it('a high-risk action needs a second, different approver: the same one twice is 409 naming who approved first', async () => {
    const { app, action, alice, bob } = await highRiskPending({ REQUIRE_SECOND_APPROVER: 'true' });
    const first = await app.inject({ method: 'POST', url: `/actions/${action.id}/approve`, headers: alice, payload: { reason: 'looks right' } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: 'pending', approved_by: 'alice' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(gateway!.commandRequests()).toHaveLength(0);

    const twice = await app.inject({ method: 'POST', url: `/actions/${action.id}/approve`, headers: alice, payload: {} });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ error: 'second_approver_required', field: 'id', details: { first_approver: 'alice', risk: 'high' } });
    expect(twice.json().message).toContain('alice already approved it');

    const second = await app.inject({ method: 'POST', url: `/actions/${action.id}/approve`, headers: bob, payload: { reason: 'agreed' } });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ approved_by: 'bob' });
    await eventually(() => gateway!.commandRequests().length === 1, 5000, 'the approved restart at the gateway');
    const audit = (await app.inject({ url: `/audit?subject=${action.incident_id}` })).json().records as { action: string; actor: string; data: Record<string, unknown> }[];
    expect(audit.filter((record) => record.action.startsWith('action-') && record.actor !== 'devops-agent').map((record) => [record.action, record.actor, record.data.first_approver])).toEqual([
      ['action-first-approval', 'alice', undefined],
      ['action-approved', 'bob', 'alice'],
    ]);
  });

  it('without the setting, or for a lower risk, one approval runs it', async () => {
    const { app, action, alice } = await highRiskPending({});
    const approved = await app.inject({ method: 'POST', url: `/actions/${action.id}/approve`, headers: alice, payload: {} });
    expect(approved.json()).toMatchObject({ status: 'approved', approved_by: 'alice' });
    await eventually(() => gateway!.commandRequests().length === 1, 5000, 'the restart at the gateway');
  });
});
