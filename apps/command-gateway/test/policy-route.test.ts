import { GatewayClient } from '@atb/clients';
import { gatewayPolicyResponseSchema, policyAllows } from '@atb/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { commandRequest, type GatewayFixture, startGateway } from './support/gateway-fixture.js';

describe('GET /policy: the effective policy for the calling source', () => {
  let gateway: GatewayFixture | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const issue = async (started: GatewayFixture, payload: Record<string, unknown>) =>
    (await started.service.app.inject({ method: 'POST', url: '/tokens', headers: bearer(started.token), payload })).json() as { token: string };

  it("answers the agent's own source: its operations, the allowlist, and each target's restart window as it fills", async () => {
    gateway = await startGateway({ GATEWAY_ALLOWED_TARGETS: 'orders,label:app=billing', GATEWAY_RESTART_LIMIT: '2' });
    const agent = await issue(gateway, { name: 'devops-agent', role: 'operator', kind: 'service' });
    const before = await gateway.service.app.inject({ url: '/policy', headers: bearer(agent.token) });
    expect(before.statusCode, before.body).toBe(200);
    const policy = gatewayPolicyResponseSchema.parse(before.json());
    expect(policy).toMatchObject({
      source_id: 'devops-agent',
      principal: { name: 'devops-agent', kind: 'service', role: 'operator' },
      operations: ['restart', 'start', 'logs', 'inspect', 'stats', 'list'],
      targets: { names: ['market-predictor', 'orders'], labels: { app: 'billing' } },
    });
    expect(policy.rate_limits).toEqual([
      { operation: 'restart', max: 2, window_seconds: 600, targets: [
        { target: 'market-predictor', used: 0, remaining: 2, retry_in_seconds: null },
        { target: 'orders', used: 0, remaining: 2, retry_in_seconds: null },
      ] },
    ]);
    expect(policyAllows(policy, 'stop', { name: 'orders' })).toMatchObject({ ok: false, reason: expect.stringContaining('operation stop') });
    expect(policyAllows(policy, 'restart', { name: 'postgres-primary' })).toMatchObject({ ok: false, reason: expect.stringContaining('allowlist') });
    expect(policyAllows(policy, 'restart', { name: 'billing-1', labels: { app: 'billing' } })).toEqual({ ok: true });

    for (let index = 0; index < 2; index += 1) {
      const restarted = await gateway.execute(commandRequest('restart the service'), bearer(agent.token));
      expect(restarted.body.overall_status).toBe('success');
    }
    const after = gatewayPolicyResponseSchema.parse((await gateway.service.app.inject({ url: '/policy', headers: bearer(agent.token) })).json());
    expect(after.rate_limits[0]!.targets).toEqual([
      { target: 'market-predictor', used: 2, remaining: 0, retry_in_seconds: expect.any(Number) },
      { target: 'orders', used: 0, remaining: 2, retry_in_seconds: null },
    ]);
    // Reading the policy counts nothing: a third restart is still the one refused.
    const third = await gateway.execute(commandRequest('restart the service'), bearer(agent.token));
    expect(third.body).toMatchObject({ overall_status: 'rejected' });
  });

  it('refuses without a token (401), a source the token may not act as (403), and the administrator naming none (400)', async () => {
    gateway = await startGateway();
    const app = gateway.service.app;
    expect((await app.inject({ url: '/policy' })).statusCode).toBe(401);
    const agent = await issue(gateway, { name: 'devops-agent', role: 'operator', kind: 'service' });
    const posing = await app.inject({ url: '/policy?source_id=atb-cli', headers: bearer(agent.token) });
    expect(posing.statusCode).toBe(403);
    expect(posing.json()).toMatchObject({ field: 'query.source_id', message: expect.stringContaining('devops-agent may act as source_id "devops-agent" only') });
    const admin = await app.inject({ url: '/policy', headers: bearer(gateway.token) });
    expect(admin.statusCode).toBe(400);
    expect(admin.json()).toMatchObject({ field: 'query.source_id' });
    const viewer = await issue(gateway, { name: 'victor', role: 'viewer' });
    expect((await app.inject({ url: '/policy', headers: bearer(viewer.token) })).statusCode).toBe(403);
    const unknown = await app.inject({ url: '/policy?source_id=nobody', headers: bearer(gateway.token) });
    expect(unknown.json()).toMatchObject({ source_id: 'nobody', operations: [] });
  });

  it("over a real socket through the gateway client: the client's source_id", async () => {
    gateway = await startGateway();
    const url = await gateway.service.listen();
    const client = new GatewayClient({ baseUrl: url, sourceId: 'atb-cli', timeoutMs: 5000, token: gateway.token });
    const policy = await client.policy();
    expect(policy).toMatchObject({ source_id: 'atb-cli', operations: expect.arrayContaining(['stop']), targets: { names: ['market-predictor'] } });
  });
});
