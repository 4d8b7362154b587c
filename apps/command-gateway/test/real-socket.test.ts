import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandRequest, type GatewayFixture, startGateway } from './support/gateway-fixture.js';

describe('over a real socket', () => {
  let gateway: GatewayFixture;
  let baseUrl: string;
  beforeAll(async () => {
    gateway = await startGateway();
    baseUrl = await gateway.service.listen();
  });
  afterAll(async () => gateway.close());

  it('serves /health without a token and the command endpoint with one', async () => {
    const health = await fetch(`${baseUrl}/health`);
    expect(health.status).toBe(200);
    const unauthenticated = await fetch(`${baseUrl}/execute-docker-command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(commandRequest('inspect')),
    });
    expect(unauthenticated.status).toBe(401);
    const response = await fetch(`${baseUrl}/execute-docker-command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway.token}` },
      body: JSON.stringify(commandRequest('show the last 2 log lines')),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      overall_status: 'success',
      execution_details: { command: 'docker logs --tail 2 market-predictor', execution_result: 'line 1\nline 2' },
    });
  });

  it('serves the OpenAPI document without a token', async () => {
    const response = await fetch(`${baseUrl}/docs/json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/execute-docker-command', '/audit', '/audit/verify']));
  });

  it('a 1 MB body is refused with 413 before anything is read into a plan', async () => {
    const response = await fetch(`${baseUrl}/execute-docker-command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway.token}` },
      body: JSON.stringify(commandRequest('x'.repeat(1024 * 1024))),
    });
    expect(response.status).toBe(413);
    expect(gateway.runtime.calls.filter((call) => call.method !== 'logs')).toEqual([]);
  });
});
