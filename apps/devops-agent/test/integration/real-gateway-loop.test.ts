import { afterEach, describe, expect, it } from 'vitest';
import { AUTHORIZED, eventually, RealGateway, startAgent } from '../support/agent-harness.js';
import { InProcessPredictor } from '../support/in-process-predictor.js';

/**
 * The agent against the real command gateway (in-process, on a socket, with its process runtime:
 * the market-predictor target is a process under `atb up`'s supervisor) and the real predictor,
 * restarted (on its port) whenever the gateway's runtime really restarts the target.
 */
describe('the loop through the real command gateway', () => {
  const predictor = new InProcessPredictor();
  let gateway: RealGateway | undefined;
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;

  afterEach(async () => {
    await agent?.close();
    await gateway?.stop();
    await predictor.stop();
  });

  it('crash → incident → approval → restart through the gateway (once) → health back → resolved and effective', async () => {
    const predictorUrl = await predictor.start();
    const token = 'real-gateway-token-0123456789';
    gateway = new RealGateway({ token });
    gateway.onExecute = async ({ operation }) => {
      if (operation === 'restart') await predictor.restart();
    };
    const gatewayUrl = await gateway.start();
    const restarts = () => gateway!.performed.filter((performed) => performed.operation === 'restart');
    agent = await startAgent({
      AI_COMMAND_GATEWAY_URL: gatewayUrl,
      AI_COMMAND_GATEWAY_TOKEN: token,
      MARKET_PREDICTOR_URL: predictorUrl,
      MONITORING_INTERVAL: '0.1',
      HEALTH_CHECK_TIMEOUT: '0.3',
    });
    const app = agent.agent.app;
    await app.inject({ method: 'POST', headers: AUTHORIZED, url: '/control/start-monitoring' });
    await fetch(`${predictorUrl}/chaos/crash`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delay_ms: 10 }) });
    const action = await eventually(async () => (await app.inject({ url: '/actions?status=pending' })).json().actions[0] as { id: string; incident_id: string } | undefined, 10_000, 'a pending restart');
    expect(gateway.performed).toEqual([]);
    expect((await app.inject({ method: 'POST', headers: AUTHORIZED, url: `/actions/${action.id}/approve`, payload: {} })).statusCode).toBe(200);
    const incident = await eventually(async () => {
      const found = (await app.inject({ url: `/incidents/${action.incident_id}` })).json();
      return found.state === 'resolved' ? found : undefined;
    }, 15_000, 'resolution');
    expect(restarts()).toEqual([{ operation: 'restart', target: 'market-predictor' }]);
    expect(incident.actions[0]).toMatchObject({
      status: 'succeeded',
      effective: true,
      gateway_response: expect.objectContaining({ overall_status: 'success', execution_details: expect.objectContaining({ command: 'docker restart market-predictor' }) }),
    });
    // Re-sending the action's request with its idempotency key returns the first answer; nothing runs again.
    const replay = await fetch(`${gatewayUrl}/execute-docker-command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        source_id: 'devops-agent',
        target_resource: { name: 'market-predictor' },
        action_request: { intent: 'restart the market-predictor container', context: {}, priority: 'HIGH' },
        idempotency_key: incident.actions[0].idempotency_key,
      }),
    });
    expect(((await replay.json()) as { request_id: string }).request_id).toBe(incident.actions[0].gateway_response.request_id);
    expect(restarts()).toEqual([{ operation: 'restart', target: 'market-predictor' }]);
  });
});
