import { afterEach, describe, expect, it } from 'vitest';
import { AUTHORIZED, eventually, RealGateway, startAgent } from '../support/agent-harness.js';
import { InProcessPredictor } from '../support/in-process-predictor.js';

/**
 * The whole loop in polling mode, with no Prometheus, against the real market-predictor app (its
 * chaos routes inject the fault) and a scripted gateway whose `restart` really restarts it on the
 * same port: health fails → incident → (approval) → restart request → health back → resolved.
 */
describe('polling mode: the full loop against the real market-predictor', () => {
  let predictor: InProcessPredictor;
  let gateway: RealGateway;
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;

  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    await predictor.stop();
    await gateway.stop();
  });

  const setUp = async (environment: Record<string, string>) => {
    predictor = new InProcessPredictor();
    const predictorUrl = await predictor.start();
    gateway = new RealGateway();
    await gateway.start();
    // The gateway really restarts the supervised market-predictor process; the predictor this test
    // watches (in-process, restartable on its port) is restarted with it.
    gateway.onExecute = async ({ operation }) => {
      if (operation === 'restart') await predictor.restart();
    };
    agent = await startAgent({
      AI_COMMAND_GATEWAY_URL: gateway.url,
      MARKET_PREDICTOR_URL: predictorUrl,
      MONITORING_INTERVAL: '0.1',
      HEALTH_CHECK_TIMEOUT: '0.3',
      ...environment,
    });
    return { app: agent.agent.app, predictorUrl };
  };

  it('safety mode: a crash opens an incident; nothing happens until approved; the restart is verified effective', async () => {
    const { app, predictorUrl } = await setUp({ SAFETY_MODE: 'true' });
    expect((await app.inject({ method: 'POST', headers: AUTHORIZED, url: '/control/start-monitoring' })).json()).toMatchObject({ status: 'started' });
    await eventually(async () => (await app.inject({ url: '/monitoring/status' })).json().cycles >= 2, 5000, 'health checks');
    expect((await app.inject({ url: '/incidents' })).json().count).toBe(0);

    await fetch(`${predictorUrl}/chaos/crash`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delay_ms: 10 }) });
    const action = await eventually(async () => (await app.inject({ url: '/actions?status=pending' })).json().actions[0] as { id: string; incident_id: string; operation: string } | undefined, 10_000, 'a pending restart');
    expect(action.operation).toBe('restart');
    const incident = (await app.inject({ url: `/incidents/${action.incident_id}` })).json();
    expect(incident).toMatchObject({ alertname: 'TargetDown', service: 'market-predictor', state: 'awaiting_approval' });
    expect(incident.analysis.analysis).toMatchObject({ issue_type: 'service_down', issue_detected: true });
    expect((await app.inject({ url: '/monitoring/status' })).json()).toMatchObject({ monitoring_active: true, active_alerts: ['TargetDown'] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gateway.commandRequests()).toHaveLength(0);

    expect((await app.inject({ method: 'POST', headers: AUTHORIZED, url: `/actions/${action.id}/approve`, payload: { reason: 'drill' } })).statusCode).toBe(200);
    const resolved = await eventually(async () => {
      const found = (await app.inject({ url: `/incidents/${action.incident_id}` })).json();
      return found.state === 'resolved' ? found : undefined;
    }, 15_000, 'the incident to resolve');
    expect(resolved.actions).toEqual([expect.objectContaining({ operation: 'restart', status: 'succeeded', effective: true })]);
    expect(gateway.totalExecutions()).toBe(1);
    expect((await fetch(`${predictorUrl}/health`)).status).toBe(200);
    const stats = (await app.inject({ url: '/learning/stats' })).json().stats;
    expect(stats[0]).toMatchObject({ alertname: 'TargetDown', action: 'restart', attempts: 1, successes: 1 });
    expect((await app.inject({ url: '/audit/verify' })).json().valid).toBe(true);
    expect((await app.inject({ method: 'POST', headers: AUTHORIZED, url: '/control/stop-monitoring' })).json()).toMatchObject({ status: 'stopped' });
  });

  it('autonomous mode: a hang is detected by timeouts and fixed with no human', async () => {
    const { app, predictorUrl } = await setUp({ SAFETY_MODE: 'false', ACTION_COOLDOWN: '0' });
    const cycle = (await app.inject({ method: 'POST', headers: AUTHORIZED, url: '/monitoring/cycle' })).json();
    expect(cycle).toMatchObject({ status: 'completed', condition: 'ok' });
    await fetch(`${predictorUrl}/chaos/hang`, { method: 'POST' });
    expect((await app.inject({ method: 'POST', headers: AUTHORIZED, url: '/control/start-monitoring' })).statusCode).toBe(200);
    const incident = await eventually(async () => {
      const [found] = (await app.inject({ url: '/incidents?state=resolved' })).json().incidents as { id: string }[];
      return found;
    }, 15_000, 'an incident resolved by itself');
    const detail = (await app.inject({ url: `/incidents/${incident.id}` })).json();
    expect(detail.alertname).toBe('TargetDown');
    expect(detail.actions).toEqual([expect.objectContaining({ operation: 'restart', decided_by: 'policy', effective: true })]);
    expect(detail.timeline.map((event: { type: string }) => event.type)).toEqual(
      expect.arrayContaining(['incident-opened', 'analysis-completed', 'action-approved', 'action-started', 'action-finished', 'action-verified', 'incident-resolved']),
    );
  });
});
