import { describeWithComponent, type PodmanEngine, probePodman, startPodman } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runRecovery } from './e2e-recovery.js';
import {
  buildPredictor,
  E2E_AGENT_TOKEN,
  http,
  type PredictorContainer,
  type RunningGateway,
  type RunningService,
  startAgent,
  startGateway,
  startPredictorContainer,
} from './e2e-stack.js';

/**
 * The same loop with no Prometheus and no Alertmanager: the agent polls the
 * predictor's /health itself (polling mode), turns a failed check into a
 * synthetic alert, restarts the container through the gateway on Podman's Docker API and
 * resolves the incident once health is back.
 */

describeWithComponent('Podman', await probePodman(), 'install it: bash scripts/install-system-deps.sh', () => {
  let engine: PodmanEngine;
  let predictor: PredictorContainer | undefined;
  let gateway: RunningGateway | undefined;
  let agent: RunningService | undefined;

  beforeAll(async () => {
    await buildPredictor();
    engine = await startPodman();
    predictor = await startPredictorContainer(engine);
    gateway = await startGateway(engine, predictor.name);
    agent = await startAgent({
      MARKET_PREDICTOR_URL: predictor.url,
      // The incident's service, and so the container the restart targets.
      MONITORED_SERVICE: predictor.name,
      MONITORING_INTERVAL: '0.5',
      HEALTH_CHECK_TIMEOUT: '1',
      // Polling alone: the event path has its own test (container-events.test.ts).
      GATEWAY_EVENTS: 'false',
      // Only outages matter here: a slow answer on a loaded machine must not open its own incident.
      SLOW_RESPONSE_THRESHOLD_MS: '10000',
      AI_COMMAND_GATEWAY_URL: gateway.url,
      AI_COMMAND_GATEWAY_TOKEN: gateway.token,
      SAFETY_MODE: 'false',
      ACTION_COOLDOWN: '0',
      VERIFICATION_INTERVAL: '0.5',
      VERIFICATION_WINDOW: '60',
    });
    const started = await http<{ status: string }>(`${agent.url}/control/start-monitoring`, { method: 'POST', token: E2E_AGENT_TOKEN });
    expect(started.body.status).toBe('started');
  }, 240_000);

  afterAll(async () => {
    await agent?.close();
    await gateway?.close();
    await predictor?.remove();
  });

  it('recovers from a crash found by health polling', async () => {
    if (!predictor || !gateway || !agent) throw new Error('the stack did not start');
    await runRecovery({
      fault: 'crash',
      predictor,
      gateway,
      agentUrl: agent.url,
      service: predictor.name,
      safetyMode: false,
      title: 'crash, polling mode, SAFETY_MODE=false',
    });
  }, 120_000);

  it('recovers from a hang found by health polling (health checks time out)', async () => {
    if (!predictor || !gateway || !agent) throw new Error('the stack did not start');
    await runRecovery({
      fault: 'hang',
      predictor,
      gateway,
      agentUrl: agent.url,
      service: predictor.name,
      safetyMode: false,
      title: 'hang, polling mode, SAFETY_MODE=false',
    });
    // Polling saw both faults come and go, and is back to a clean bill of health.
    const monitoring = await http<{
      monitoring_active: boolean;
      alerts_fired: number;
      alerts_resolved: number;
      active_alerts: string[];
      last_check: { reachable: boolean } | null;
    }>(`${agent.url}/monitoring/status`);
    expect(monitoring.body.monitoring_active).toBe(true);
    expect(monitoring.body.alerts_fired).toBeGreaterThanOrEqual(2);
    expect(monitoring.body.alerts_resolved).toBeGreaterThanOrEqual(2);
    expect(monitoring.body.active_alerts).toEqual([]);
    expect(monitoring.body.last_check?.reachable).toBe(true);
  }, 120_000);
});
