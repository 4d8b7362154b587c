import { GatewayClient, UpstreamRefusedError } from '@atb/clients';
import {
  auditListResponseSchema,
  auditVerificationSchema,
  executeCommandRequestSchema,
  executeCommandResponseSchema,
  gatewayAuditQuerySchema,
} from '@atb/contracts';
import { type ContractRoute, contractMismatches, fetchOpenApiDocument } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayFixture, startGateway } from './support/gateway-fixture.js';

/** The routes `GatewayClient` calls, with the shared schemas they must be declared with. */
const ROUTES: ContractRoute[] = [
  { method: 'post', path: '/execute-docker-command', body: executeCommandRequestSchema, responses: { 200: executeCommandResponseSchema } },
  { method: 'get', path: '/audit', query: gatewayAuditQuerySchema, responses: { 200: auditListResponseSchema } },
  { method: 'get', path: '/audit/verify', responses: { 200: auditVerificationSchema } },
  { method: 'get', path: '/health', responses: {} },
];

describe('command gateway API contract (the real gateway app on a socket)', () => {
  let gateway: GatewayFixture;
  let url: string;
  beforeAll(async () => {
    gateway = await startGateway();
    url = await gateway.service.listen();
  });
  afterAll(async () => gateway?.close());

  const client = (token: string, attempts = 1) => new GatewayClient({ baseUrl: url, sourceId: 'devops-agent', timeoutMs: 5000, attempts, token });

  it('serves every route the client calls, with the schemas generated from the shared ones', async () => {
    expect(contractMismatches(await fetchOpenApiDocument(url), ROUTES)).toEqual([]);
  });

  it('round-trips execute (with its idempotency key), audit list and audit verify', async () => {
    const command = { target: 'market-predictor', intent: 'restart the service', context: { incident_id: 'inc_1' }, priority: 'HIGH' as const, idempotencyKey: 'contract-1' };
    const first = await client(gateway.token).execute(command);
    expect(first).toMatchObject({ ok: true, attempts: 1, response: { overall_status: 'success', plan: { operation: 'restart', target: 'market-predictor' } } });
    const again = await client(gateway.token).execute(command);
    expect(again.ok && again.response.request_id).toBe(first.ok && first.response.request_id);
    expect(gateway.runtime.mutations()).toEqual([{ method: 'restart', name: 'market-predictor' }]);

    const dry = await client(gateway.token).execute({ ...command, intent: 'stop it', idempotencyKey: undefined, dryRun: true, context: 'from the contract test' });
    expect(dry).toMatchObject({ ok: true, response: { dry_run: true, plan: { operation: 'stop' } } });
    expect(gateway.runtime.mutations()).toHaveLength(1);

    const audit = await client(gateway.token).listAudit({ limit: 5 });
    expect(audit.records.length).toBeGreaterThan(0);
    expect(await client(gateway.token).verifyAudit()).toMatchObject({ valid: true });
  });

  it('a refusal names the status and is not retried; audit calls with a wrong token throw with a code', async () => {
    const refused = await client('wrong-token-wrong-token', 3).execute({ target: 'market-predictor', intent: 'inspect it', context: {}, priority: 'LOW' });
    expect(refused).toMatchObject({ ok: false, code: 'upstream_refused', status: 401, attempts: 1, retryable: false });
    await expect(client('wrong-token-wrong-token').verifyAudit()).rejects.toBeInstanceOf(UpstreamRefusedError);
  });
});
