import { DevopsAgentClient, UpstreamRefusedError } from '@atb/clients';
import { tokenPrincipal } from '@atb/service-kit';
import {
  actionListResponseSchema,
  actionSchema,
  agentAuditQuerySchema,
  approveActionRequestSchema,
  auditListResponseSchema,
  auditVerificationSchema,
  incidentDetailSchema,
  incidentListResponseSchema,
  learningStatsQuerySchema,
  learningStatsResponseSchema,
  listActionsQuerySchema,
  listIncidentsQuerySchema,
  monitoringControlResponseSchema,
  monitoringCycleResponseSchema,
  monitoringStatusSchema,
  rejectActionRequestSchema,
} from '@atb/contracts';
import { type ContractRoute, contractMismatches, fetchOpenApiDocument, freePort } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_TOKEN, alert, eventually, notification, startAgent } from './support/agent-harness.js';

/** The routes `DevopsAgentClient` calls, with the shared schemas they must be declared with. */
const ROUTES: ContractRoute[] = [
  { method: 'get', path: '/health', responses: {} },
  { method: 'get', path: '/status', responses: {} },
  { method: 'get', path: '/incidents', query: listIncidentsQuerySchema, responses: { 200: incidentListResponseSchema } },
  { method: 'get', path: '/incidents/{id}', responses: { 200: incidentDetailSchema } },
  { method: 'get', path: '/actions', query: listActionsQuerySchema, responses: { 200: actionListResponseSchema } },
  { method: 'get', path: '/actions/{id}', responses: { 200: actionSchema } },
  { method: 'post', path: '/actions/{id}/approve', body: approveActionRequestSchema, responses: { 200: actionSchema } },
  { method: 'post', path: '/actions/{id}/reject', body: rejectActionRequestSchema, responses: { 200: actionSchema } },
  { method: 'get', path: '/learning/stats', query: learningStatsQuerySchema, responses: { 200: learningStatsResponseSchema } },
  { method: 'get', path: '/audit', query: agentAuditQuerySchema, responses: { 200: auditListResponseSchema } },
  { method: 'get', path: '/audit/verify', responses: { 200: auditVerificationSchema, 409: auditVerificationSchema } },
  { method: 'get', path: '/monitoring/status', responses: { 200: monitoringStatusSchema } },
  { method: 'post', path: '/monitoring/cycle', responses: { 200: monitoringCycleResponseSchema } },
  { method: 'post', path: '/control/start-monitoring', responses: { 200: monitoringControlResponseSchema } },
  { method: 'post', path: '/control/stop-monitoring', responses: { 200: monitoringControlResponseSchema } },
];

describe('devops agent API contract (the real agent app on a socket)', () => {
  let started: Awaited<ReturnType<typeof startAgent>>;
  let url: string;
  beforeAll(async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    started = await startAgent({ API_HOST: '127.0.0.1', SAFETY_MODE: 'true', AI_COMMAND_GATEWAY_URL: nobody, MARKET_PREDICTOR_URL: nobody });
    url = await started.agent.listen();
  });
  afterAll(async () => started?.close());

  it('serves every route the client calls, with the schemas generated from the shared ones', async () => {
    expect(contractMismatches(await fetchOpenApiDocument(url), ROUTES)).toEqual([]);
  });

  it('round-trips incidents, actions, approve, reject, learning, audit and the monitoring controls', async () => {
    const client = new DevopsAgentClient({ baseUrl: url, token: AGENT_TOKEN });
    expect((await client.health()).service).toBe('devops-agent');
    expect((await client.status()).service).toBe('devops-agent');
    await started.agent.app.inject({
      method: 'POST',
      url: '/webhook/alerts',
      payload: notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' }), alert({ alertname: 'MarketPredictorHung', service: 'other-service' })]),
    });
    const pending = await eventually(async () => {
      const { actions } = await client.listActions({ status: 'pending' });
      return actions.length === 2 ? actions : undefined;
    }, 10_000, 'two pending actions');
    const [first, second] = pending as [(typeof pending)[number], (typeof pending)[number]];

    const { incidents, count } = await client.listIncidents({ active: 'true', limit: 10 });
    expect(count).toBe(2);
    const detail = await client.getIncident(first.incident_id);
    expect(detail).toMatchObject({ id: first.incident_id, state: 'awaiting_approval' });
    expect(detail.actions.map((action) => action.id)).toContain(first.id);
    expect(detail.alerts).toHaveLength(1);
    expect(incidents.map((incident) => incident.id)).toContain(first.incident_id);
    expect(await client.getAction(first.id)).toMatchObject({ id: first.id, status: 'pending' });

    expect(await client.approveAction(first.id, { reason: 'go' })).toMatchObject({ id: first.id, approved_by: tokenPrincipal(AGENT_TOKEN) });
    expect(await client.rejectAction(second.id, { reason: 'not now' })).toMatchObject({ id: second.id, status: 'rejected' });
    const twice = await client.rejectAction(second.id, { reason: 'again' }).catch((error: unknown) => error);
    expect(twice).toBeInstanceOf(UpstreamRefusedError);
    expect(twice).toMatchObject({ code: 'upstream_refused', status: 409 });

    expect(Array.isArray((await client.learningStats({ service: 'market-predictor' })).stats)).toBe(true);
    expect((await client.listAudit({ action: 'action-approved' })).records[0]).toMatchObject({ action: 'action-approved', actor: expect.any(String) });
    expect(await client.verifyAudit()).toMatchObject({ valid: true });

    expect((await client.startMonitoring()).status).toBe('started');
    expect((await client.runMonitoringCycle()).check.reachable).toBe(false);
    expect((await client.monitoringStatus()).monitoring_active).toBe(true);
    expect((await client.stopMonitoring()).monitoring.monitoring_active).toBe(false);
  });
});
