import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandRequest, type GatewayFixture, startGateway } from './support/gateway-fixture.js';

describe('audit trail', () => {
  let gateway: GatewayFixture;
  beforeAll(async () => {
    gateway = await startGateway({ GATEWAY_RESTART_LIMIT: '1000' });
  });
  afterAll(async () => gateway.close());
  const get = async (url: string) => {
    const response = await gateway.service.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${gateway.token}` } });
    return { statusCode: response.statusCode, body: response.json() };
  };

  it('records request, start and result of an executed command, and the refusal of a rejected one', async () => {
    const executed = await gateway.execute(commandRequest('restart the service'));
    const rejected = await gateway.execute(commandRequest('exec into it'));
    const executedTrail = await get(`/audit?subject=${executed.body.request_id}`);
    expect(executedTrail.body.records.map((record: { action: string }) => record.action)).toEqual([
      'command-requested',
      'command-started',
      'command-finished',
    ]);
    const [requested, started, finished] = executedTrail.body.records;
    expect(requested).toMatchObject({ actor: 'devops-agent', data: { intent: 'restart the service', target: 'market-predictor' } });
    expect(started.data).toMatchObject({ plan: { operation: 'restart' }, command: 'docker restart market-predictor', decision: 'approved' });
    expect(finished.data).toMatchObject({ overall_status: 'success' });
    const rejectedTrail = await get(`/audit?subject=${rejected.body.request_id}`);
    expect(rejectedTrail.body.records.map((record: { action: string }) => record.action)).toEqual([
      'command-requested',
      'command-rejected',
    ]);
    expect(rejectedTrail.body.records[1].data.reason_code).toBe('forbidden_intent');
  });

  it('filters by action, time and sequence, and pages', async () => {
    const all = await get('/audit?limit=1000');
    expect(all.body.count).toBeGreaterThanOrEqual(5);
    const finished = await get('/audit?action=command-finished');
    expect(finished.body.records.every((record: { action: string }) => record.action === 'command-finished')).toBe(true);
    const page = await get('/audit?limit=2');
    expect(page.body.count).toBe(2);
    const next = await get(`/audit?limit=2&after_seq=${page.body.next_after_seq}`);
    expect(next.body.records[0].seq).toBe(page.body.records[1].seq + 1);
    const future = await get(`/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.body.count).toBe(0);
  });

  it.each([
    ['limit=0', 'querystring.limit'],
    ['limit=5000', 'querystring.limit'],
    ['after_seq=-1', 'querystring.after_seq'],
    ['since=yesterday', 'querystring.since'],
    ['until=2026-13-01', 'querystring.until'],
    ['colour=blue', 'querystring'],
  ])('GET /audit?%s → 422 naming %s', async (query, field) => {
    const response = await get(`/audit?${query}`);
    expect(response.statusCode).toBe(422);
    expect(response.body.field).toBe(field);
  });

  it('GET /audit/verify walks the chain', async () => {
    const verified = await get('/audit/verify');
    expect(verified.body).toMatchObject({ valid: true });
    expect(verified.body.count).toBeGreaterThanOrEqual(5);
  });

  it('the audit endpoints need the token', async () => {
    expect((await gateway.service.app.inject({ method: 'GET', url: '/audit' })).statusCode).toBe(401);
    expect((await gateway.service.app.inject({ method: 'GET', url: '/audit/verify' })).statusCode).toBe(401);
  });
});

describe('idempotency_key', () => {
  let gateway: GatewayFixture;
  beforeAll(async () => {
    gateway = await startGateway({ GATEWAY_RESTART_LIMIT: '1000' });
  });
  afterAll(async () => gateway.close());

  it('a retry returns the first response and never executes twice', async () => {
    const request = { ...commandRequest('restart the service'), idempotency_key: 'incident-7-restart' };
    const first = await gateway.execute(request);
    const retry = await gateway.execute({ ...request, action_request: { ...request.action_request, context: 'retry' } });
    expect(retry.body).toEqual(first.body);
    expect(gateway.runtime.mutations()).toHaveLength(1);
  });

  it('concurrent duplicates wait for the first result', async () => {
    gateway.runtime.delayMs = 200;
    const request = { ...commandRequest('restart the service'), idempotency_key: 'incident-8-restart' };
    const responses = await Promise.all([gateway.execute(request), gateway.execute(request), gateway.execute(request)]);
    gateway.runtime.delayMs = 0;
    expect(new Set(responses.map((response) => response.body.request_id)).size).toBe(1);
    expect(responses.every((response) => response.body.overall_status === 'success')).toBe(true);
    expect(gateway.runtime.mutations()).toHaveLength(2);
  });

  it('the same key from another source is another request', async () => {
    const request = { ...commandRequest('inspect'), idempotency_key: 'shared-key' };
    const agent = await gateway.execute(request);
    const cli = await gateway.execute({ ...request, source_id: 'atb-cli' });
    expect(cli.body.request_id).not.toBe(agent.body.request_id);
  });

  it('reusing a key for a different request → 409 naming the field', async () => {
    await gateway.execute({ ...commandRequest('inspect'), idempotency_key: 'reused' });
    const response = await gateway.execute({ ...commandRequest('stats'), idempotency_key: 'reused' });
    expect(response.statusCode).toBe(409);
    expect(response.body.field).toBe('body.idempotency_key');
  });

  it('survives a gateway restart', async () => {
    const request = { ...commandRequest('restart the service'), idempotency_key: 'incident-9-restart' };
    const first = await gateway.execute(request);
    const again = await startGateway(
      { AI_COMMAND_GATEWAY_TOKEN: gateway.token, GATEWAY_RESTART_LIMIT: '1000' },
      { dataDirectory: gateway.dataDirectory, keepData: true },
    );
    try {
      const retry = await again.execute(request);
      expect(retry.body).toEqual(first.body);
      expect(again.runtime.calls).toEqual([]);
    } finally {
      await again.close();
    }
  });
});

describe('metrics', () => {
  it('counts requests by status and operation, rejections by reason, and execution time', async () => {
    const gateway = await startGateway();
    try {
      await gateway.execute(commandRequest('restart the service'));
      await gateway.execute(commandRequest('run a new container'));
      await gateway.execute(commandRequest('restart it', { target_resource: { name: 'postgres' } }));
      const text = (await gateway.service.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(text).toMatch(/gateway_requests_total\{status="success",operation="restart"[^}]*\} 1/);
      expect(text).toMatch(/gateway_requests_total\{status="rejected",operation="none"[^}]*\} 1/);
      expect(text).toMatch(/gateway_rejections_total\{reason="forbidden_intent"[^}]*\} 1/);
      expect(text).toMatch(/gateway_rejections_total\{reason="not_allowlisted"[^}]*\} 1/);
      expect(text).toMatch(/gateway_execution_duration_seconds_count\{[^}]*operation="restart",status="success"[^}]*\} 1/);
    } finally {
      await gateway.close();
    }
  });
});

describe('an audit log that cannot be written', () => {
  it('refuses with 503 and executes nothing; a keyed request can be retried afterwards', async () => {
    const gateway = await startGateway();
    // A second connection to the gateway's own SQLite file makes every audit insert fail.
    const sqlite = new BetterSqlite3(join(gateway.dataDirectory, 'gateway.db'));
    try {
      sqlite.exec("CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
      const request = { ...commandRequest('restart the service'), idempotency_key: 'while-broken' };
      const refused = await gateway.execute(request);
      expect(refused.statusCode).toBe(503);
      expect(refused.body.message).toMatch(/audit log cannot be written; nothing was executed/);
      expect(gateway.runtime.calls).toEqual([]);
      sqlite.exec('DROP TRIGGER audit_broken');
      const retried = await gateway.execute(request);
      expect(retried.body.overall_status).toBe('success');
      expect(gateway.runtime.mutations()).toHaveLength(1);
    } finally {
      sqlite.close();
      await gateway.close();
    }
  });
});
