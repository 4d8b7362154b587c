import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from '@atb/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_TOKEN_FILE_NAME } from '../src/app.js';
import { commandRequest, type GatewayFixture, startGateway } from './support/gateway-fixture.js';

describe('the gateway derives source rights from the caller\'s token', () => {
  let gateway: GatewayFixture | undefined;
  let model: ScriptedOpenAIServer | undefined;
  afterEach(async () => {
    await gateway?.close();
    await model?.close();
    gateway = undefined;
    model = undefined;
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const issue = async (started: GatewayFixture, payload: Record<string, unknown>) => {
    const response = await started.service.app.inject({ method: 'POST', url: '/tokens', headers: bearer(started.token), payload });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; token: string };
  };
  const auditOf = async (started: GatewayFixture, query: string) =>
    (await started.service.app.inject({ url: `/audit?${query}`, headers: bearer(started.token) })).json().records as {
      actor: string;
      action: string;
      data: Record<string, unknown>;
    }[];

  it("refuses the devops agent's token acting as the CLI (stop), with 403 naming source_id; as itself it may restart", async () => {
    gateway = await startGateway();
    const agent = await issue(gateway, { name: 'devops-agent', role: 'operator', kind: 'service' });
    const posing = await gateway.execute(commandRequest('stop it', { source_id: 'atb-cli' }), bearer(agent.token));
    expect(posing.statusCode).toBe(403);
    expect(posing.body).toMatchObject({ error: 'forbidden', field: 'body.source_id', message: expect.stringContaining('source_id "atb-cli"') });
    expect(gateway.runtime.mutations()).toEqual([]);
    expect(await auditOf(gateway, 'action=command-rejected')).toEqual([
      expect.objectContaining({ actor: 'devops-agent', data: expect.objectContaining({ reason_code: 'source_not_allowed', source_id: 'atb-cli' }) }),
    ]);

    const itself = await gateway.execute(commandRequest('restart the service'), bearer(agent.token));
    expect(itself.body).toMatchObject({ overall_status: 'success' });
    expect(gateway.runtime.mutations()).toEqual([{ method: 'restart', name: 'market-predictor' }]);
  });

  it('lets an operator person act as atb-cli only, and refuses a viewer any operation', async () => {
    gateway = await startGateway();
    const alice = await issue(gateway, { name: 'alice', role: 'operator' });
    expect((await gateway.execute(commandRequest('stop it', { source_id: 'atb-cli' }), bearer(alice.token))).body).toMatchObject({
      overall_status: 'success',
    });
    expect((await gateway.execute(commandRequest('restart the service'), bearer(alice.token))).statusCode).toBe(403);
    const victor = await issue(gateway, { name: 'victor', role: 'viewer' });
    const viewer = await gateway.execute(commandRequest('inspect', { source_id: 'atb-cli' }), bearer(victor.token));
    expect(viewer.statusCode).toBe(403);
    expect(viewer.body.message).toContain('operator role');
  });

  it('refuses a revoked and an expired token with 401', async () => {
    const clock = { now: Date.now() };
    gateway = await startGateway({}, { now: () => clock.now });
    const revoked = await issue(gateway, { name: 'devops-agent', role: 'operator', kind: 'service' });
    const expiring = await issue(gateway, { name: 'alice', role: 'operator', expires_in_seconds: 60 });
    expect((await gateway.service.app.inject({ method: 'DELETE', url: `/tokens/${revoked.id}`, headers: bearer(gateway.token) })).statusCode).toBe(200);
    const refusedRevoked = await gateway.execute(commandRequest('restart the service'), bearer(revoked.token));
    expect(refusedRevoked).toMatchObject({ statusCode: 401, body: { error: 'unauthenticated', message: 'the bearer token was revoked' } });
    expect((await gateway.execute(commandRequest('inspect', { source_id: 'atb-cli' }), bearer(expiring.token))).statusCode).toBe(200);
    clock.now += 61_000;
    const refusedExpired = await gateway.execute(commandRequest('inspect', { source_id: 'atb-cli' }), bearer(expiring.token));
    expect(refusedExpired).toMatchObject({ statusCode: 401, body: { message: 'the bearer token has expired' } });
    expect(gateway.runtime.mutations()).toEqual([]);
  });

  it('provisions the devops agent a machine token (0600) in development, bound to source devops-agent', async () => {
    gateway = await startGateway({ ENVIRONMENT: 'development' });
    const file = join(gateway.dataDirectory, AGENT_TOKEN_FILE_NAME);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const agentToken = readFileSync(file, 'utf8').trim();
    expect((await gateway.execute(commandRequest('restart the service'), bearer(agentToken))).body).toMatchObject({ overall_status: 'success' });
    expect((await gateway.execute(commandRequest('stop it', { source_id: 'atb-cli' }), bearer(agentToken))).statusCode).toBe(403);
    expect(gateway.runtime.mutations()).toEqual([{ method: 'restart', name: 'market-predictor' }]);
  });

  it('rejects an LLM plan naming another allowlisted target; the audit names the requested target', async () => {
    model = await startScriptedOpenAIServer([{ content: '{"operation":"restart","target":"payments-api","params":{}}' }]);
    gateway = await startGateway({
      GATEWAY_ALLOWED_TARGETS: 'payments-api',
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: model.url,
      LLM_MODEL: 'scripted-model',
      LLM_MAX_RETRIES: '0',
    });
    const response = await gateway.execute(commandRequest('the predictor seems wedged, please give it a kick'));
    expect(response.body).toMatchObject({ overall_status: 'rejected', reason_code: 'target_mismatch', reason: expect.stringContaining('target_resource.name') });
    expect(model.requests).toHaveLength(1);
    expect(gateway.runtime.mutations()).toEqual([]);
    const records = await auditOf(gateway, `subject=${response.body.request_id}`);
    expect(records.map((record) => record.action)).toEqual(['command-requested', 'command-rejected']);
    expect(records[0]?.data.target).toBe('market-predictor');
    expect(records[1]?.data).toMatchObject({ reason_code: 'target_mismatch', plan: { target: 'payments-api' } });
  });
});
