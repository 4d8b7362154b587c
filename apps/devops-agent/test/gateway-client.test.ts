import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayClient, tokenFromFile } from '../src/remediation/gateway-client.js';
import { ScriptedGateway } from './support/scripted-gateway.js';

describe('GatewayClient (seed 004 contract, against a scripted gateway)', () => {
  let gateway: ScriptedGateway;
  beforeEach(async () => {
    gateway = new ScriptedGateway();
    await gateway.start();
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const client = (options: Partial<ConstructorParameters<typeof GatewayClient>[0]> = {}) =>
    new GatewayClient({ baseUrl: gateway.url, sourceId: 'devops-agent', timeoutMs: 500, attempts: 3, backoffMs: 10, token: 'tok', ...options });
  const command = { target: 'market-predictor', intent: 'restart the market-predictor container', context: { incident_id: 'inc_1' }, priority: 'HIGH' as const, idempotencyKey: 'key-1' };

  it('sends intent, rich context, priority, source id, bearer token and the idempotency key', async () => {
    const result = await client().execute(command);
    expect(result).toMatchObject({ ok: true, attempts: 1, response: { overall_status: 'success', execution_details: { command: 'docker restart market-predictor' } } });
    expect(gateway.requests[0]).toMatchObject({
      authorization: 'Bearer tok',
      body: {
        source_id: 'devops-agent',
        target_resource: { name: 'market-predictor' },
        action_request: { intent: command.intent, context: { incident_id: 'inc_1' }, priority: 'HIGH' },
        idempotency_key: 'key-1',
      },
    });
  });

  it('retries 5xx with backoff, with the same idempotency key, and executes once', async () => {
    gateway.queue({ kind: 'status', status: 503 }, { kind: 'status', status: 502 });
    const result = await client().execute(command);
    expect(result).toMatchObject({ ok: true, attempts: 3 });
    expect(gateway.requests.map((request) => request.body.idempotency_key)).toEqual(['key-1', 'key-1', 'key-1']);
    expect(gateway.executions.get('key-1')).toBe(1);
  });

  it('retries a timeout; the gateway answers the retry with the first result instead of executing again', async () => {
    gateway.queue({ kind: 'hang' });
    const result = await client({ timeoutMs: 1000 }).execute(command);
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(gateway.executions.get('key-1')).toBe(1);
  });

  it('does not retry a 4xx and says why', async () => {
    gateway.queue({ kind: 'status', status: 401 });
    const result = await client().execute(command);
    expect(result).toMatchObject({ ok: false, attempts: 1, status: 401, retryable: false });
    expect(gateway.requests).toHaveLength(1);
  });

  it('gives up after the attempts on a gateway that keeps failing, or that is not there', async () => {
    gateway.defaultBehaviour = { kind: 'status', status: 500 };
    expect(await client().execute(command)).toMatchObject({ ok: false, attempts: 3, status: 500, retryable: true });
    const unreachable = await new GatewayClient({ baseUrl: 'http://127.0.0.1:9', sourceId: 's', timeoutMs: 200, attempts: 2, backoffMs: 5, token: undefined }).execute(command);
    expect(unreachable).toMatchObject({ ok: false, attempts: 2, error: expect.stringContaining('gateway unreachable') });
  });

  it('reads the development token file on each request', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'gateway-token-'));
    const file = join(directory, 'api-token');
    try {
      const gatewayClient = client({ token: tokenFromFile(file) });
      await gatewayClient.execute(command);
      expect(gateway.requests[0]!.authorization).toBeUndefined();
      writeFileSync(file, 'from-file\n');
      await gatewayClient.execute({ ...command, idempotencyKey: 'key-2' });
      expect(gateway.requests[1]!.authorization).toBe('Bearer from-file');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
