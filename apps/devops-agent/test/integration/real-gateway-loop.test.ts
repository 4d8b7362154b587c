import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildOptions, buildCommandGateway, readConfig as readGatewayConfig } from '@atb/command-gateway';
import type { Service } from '@atb/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTHORIZED, eventually, startAgent } from '../support/agent-harness.js';
import { InProcessPredictor } from '../support/in-process-predictor.js';

type ContainerRuntime = NonNullable<BuildOptions['runtime']>;

/**
 * A container engine whose one container is the real market-predictor app in this process:
 * `restart` really restarts it (on the same port). Everything else answers like an engine would.
 */
class PredictorRuntime implements ContainerRuntime {
  readonly kind = 'in-process-predictor';
  readonly calls: string[] = [];
  constructor(private readonly restartPredictor: () => Promise<void>) {}
  private details() {
    return { id: 'c0ffee', name: 'market-predictor', image: 'atb/market-predictor', state: 'running', status: 'Up', labels: {}, started_at: new Date().toISOString(), restart_count: 0 };
  }
  async list() {
    this.calls.push('list');
    return [this.details()];
  }
  async inspect() {
    this.calls.push('inspect');
    return this.details();
  }
  async restart() {
    this.calls.push('restart');
    await this.restartPredictor();
  }
  async start() {
    this.calls.push('start');
  }
  async stop() {
    this.calls.push('stop');
  }
  async logs() {
    this.calls.push('logs');
    return ['ready'];
  }
  async stats() {
    this.calls.push('stats');
    return { cpu_percent: 1, memory_bytes: 50_000_000, memory_limit_bytes: 1_000_000_000 };
  }
  async ping() {
    return true;
  }
}

/** The agent against H3's real command gateway (in-process, on a socket) and the real predictor. */
describe('the loop through the real command gateway', () => {
  const predictor = new InProcessPredictor();
  let gateway: Service | undefined;
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  let gatewayDirectory = '';

  afterEach(async () => {
    await agent?.close();
    await gateway?.close();
    await predictor.stop();
    rmSync(gatewayDirectory, { recursive: true, force: true });
  });

  it('crash → incident → approval → restart through the gateway (once) → health back → resolved and effective', async () => {
    const predictorUrl = await predictor.start();
    const runtime = new PredictorRuntime(() => predictor.restart());
    gatewayDirectory = mkdtempSync(join(tmpdir(), 'agent-real-gateway-'));
    const token = 'real-gateway-token-0123456789';
    gateway = await buildCommandGateway(
      { ...readGatewayConfig({ DATA_DIR: gatewayDirectory, AI_COMMAND_GATEWAY_TOKEN: token, GATEWAY_ALLOWED_TARGETS: 'market-predictor', LOG_LEVEL: 'silent' }), API_PORT: 0 },
      { logger: false, runtime },
    );
    const gatewayUrl = await gateway.listen();
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
    expect(runtime.calls).toEqual([]);
    expect((await app.inject({ method: 'POST', headers: AUTHORIZED, url: `/actions/${action.id}/approve`, payload: { actor: 'operator' } })).statusCode).toBe(200);
    const incident = await eventually(async () => {
      const found = (await app.inject({ url: `/incidents/${action.incident_id}` })).json();
      return found.state === 'resolved' ? found : undefined;
    }, 15_000, 'resolution');
    expect(runtime.calls.filter((call) => call === 'restart')).toHaveLength(1);
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
    expect(runtime.calls.filter((call) => call === 'restart')).toHaveLength(1);
  });
});
