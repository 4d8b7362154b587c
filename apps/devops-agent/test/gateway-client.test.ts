import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayClient, tokenFromFile } from '../src/remediation/gateway-client.js';
import { ScriptedGateway } from './support/scripted-gateway.js';

// The scripted gateway, not the real one: these tests need failures on cue (5xx before or after
// executing, a hang after executing) that the real gateway cannot be made to produce. It checks
// the token and the contract schema like the real one, and counts every request it receives.
describe('GatewayClient (the gateway contract, against a scripted gateway)', () => {
  let gateway: ScriptedGateway;
  beforeEach(async () => {
    gateway = new ScriptedGateway({ token: 'tok-0123456789abcdef' });
    await gateway.start();
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const client = (options: Partial<ConstructorParameters<typeof GatewayClient>[0]> = {}) =>
    new GatewayClient({ baseUrl: gateway.url, sourceId: 'devops-agent', timeoutMs: 500, attempts: 3, backoffMs: 10, token: 'tok-0123456789abcdef', ...options });
  const command = { target: 'market-predictor', intent: 'restart the market-predictor container', context: { incident_id: 'inc_1' }, priority: 'HIGH' as const, idempotencyKey: 'key-1' };
  const keys = () => gateway.requests.map((request) => request.body.idempotency_key);

  it('sends intent, rich context, priority, source id, bearer token and the idempotency key', async () => {
    const result = await client().execute(command);
    expect(result).toMatchObject({ ok: true, attempts: 1, response: { overall_status: 'success', execution_details: { command: 'docker restart market-predictor' } } });
    expect(gateway.requests).toHaveLength(1);
    expect(gateway.requests[0]).toMatchObject({
      method: 'POST',
      path: '/execute-docker-command',
      status: 200,
      authorization: 'Bearer tok-0123456789abcdef',
      body: {
        source_id: 'devops-agent',
        target_resource: { name: 'market-predictor' },
        action_request: { intent: command.intent, context: { incident_id: 'inc_1' }, priority: 'HIGH' },
        idempotency_key: 'key-1',
      },
    });
    expect(gateway.executions).toEqual([{ key: 'key-1', target: 'market-predictor', intent: command.intent, context: { incident_id: 'inc_1' }, request: 0 }]);
  });

  it('retries 5xx with backoff and the same idempotency key: three requests, one execution', async () => {
    gateway.queue({ kind: 'status', status: 503 }, { kind: 'status', status: 502 });
    const result = await client().execute(command);
    expect(result).toMatchObject({ ok: true, attempts: 3 });
    expect(gateway.requests.map((request) => request.status)).toEqual([503, 502, 200]);
    expect(keys()).toEqual(['key-1', 'key-1', 'key-1']);
    expect(gateway.totalExecutions()).toBe(1);
  });

  it('a 5xx after the gateway executed (outcome unknown): the retry gets the first answer, nothing runs twice', async () => {
    gateway.queue({ kind: 'status', status: 502, afterExecuting: true });
    const result = await client().execute(command);
    expect(result).toMatchObject({ ok: true, attempts: 2, response: { request_id: 'req-1' } });
    expect(gateway.requests.map((request) => request.status)).toEqual([502, 200]);
    // Two requests received, one operation performed: a retry under a new key would make it two.
    expect(gateway.totalExecutions()).toBe(1);
    expect(new Set(keys())).toEqual(new Set(['key-1']));
  });

  it('retries a timeout; the gateway answers the retry with the first result instead of executing again', async () => {
    gateway.queue({ kind: 'hang' });
    const result = await client({ timeoutMs: 1000 }).execute(command);
    expect(result).toMatchObject({ ok: true, attempts: 2, response: { request_id: 'req-1' } });
    expect(gateway.requests).toHaveLength(2);
    expect(gateway.requests.map((request) => request.status)).toEqual([undefined, 200]);
    expect(gateway.totalExecutions()).toBe(1);
  });

  it('a wrong token is 401, not retried, and runs nothing', async () => {
    const result = await client({ token: 'not-the-token' }).execute(command);
    expect(result).toMatchObject({ ok: false, attempts: 1, status: 401, retryable: false, error: expect.stringContaining('invalid bearer token') });
    expect(gateway.requests).toHaveLength(1);
    expect(gateway.totalExecutions()).toBe(0);
  });

  it('a request the contract refuses is 422 naming the field, not retried, and runs nothing', async () => {
    const result = await client({ sourceId: '' }).execute(command);
    expect(result).toMatchObject({ ok: false, attempts: 1, status: 422, retryable: false, error: expect.stringContaining('body.source_id') });
    expect(gateway.requests).toHaveLength(1);
    expect(gateway.totalExecutions()).toBe(0);
  });

  it('gives up after the attempts on a gateway that keeps failing, or that is not there', async () => {
    gateway.defaultBehaviour = { kind: 'status', status: 500 };
    expect(await client().execute(command)).toMatchObject({ ok: false, attempts: 3, status: 500, retryable: true });
    expect(gateway.requests).toHaveLength(3);
    expect(gateway.totalExecutions()).toBe(0);
    const unreachable = await new GatewayClient({ baseUrl: 'http://127.0.0.1:9', sourceId: 's', timeoutMs: 200, attempts: 2, backoffMs: 5, token: undefined }).execute(command);
    expect(unreachable).toMatchObject({ ok: false, attempts: 2, error: expect.stringContaining('gateway unreachable') });
  });

  it('reads the development token file on each request', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'gateway-token-'));
    const file = join(directory, 'api-token');
    await gateway.stop();
    gateway = new ScriptedGateway({ token: 'from-file-0123456789' });
    await gateway.start();
    try {
      const gatewayClient = client({ token: tokenFromFile(file) });
      expect(await gatewayClient.execute(command)).toMatchObject({ ok: false, status: 401, error: expect.stringContaining('missing bearer token') });
      expect(gateway.requests[0]!.authorization).toBeUndefined();
      writeFileSync(file, 'from-file-0123456789\n');
      expect(await gatewayClient.execute({ ...command, idempotencyKey: 'key-2' })).toMatchObject({ ok: true });
      expect(gateway.requests[1]).toMatchObject({ authorization: 'Bearer from-file-0123456789', status: 200 });
      expect(gateway.totalExecutions()).toBe(1);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
