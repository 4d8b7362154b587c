import { afterEach, describe, expect, it } from 'vitest';
import type { Action } from '../src/store/agent-store.js';
import { AUTHORIZED, alert, eventually, notification, RealGateway, startAgent } from './support/agent-harness.js';
import { FakeTarget } from './support/fake-target.js';
import { ScriptedGateway } from './support/scripted-gateway.js';

type Started = Awaited<ReturnType<typeof startAgent>>;

/** The reason an action waits with while the gateway's policy cannot be read. */
const WAITS = /^gateway policy unavailable \((.+)\): the action waits for a human; the gateway still decides when it runs$/;

/**
 * Nothing runs on its own that the gateway may not allow: when the agent cannot read the
 * gateway's policy (`GET /policy` answers 503, or the gateway is not there at all), an action it
 * would have run on its own (SAFETY_MODE=false, confidence above the threshold) waits for a
 * human instead, saying why — it is neither executed nor escalated away.
 */
describe('gateway policy unavailable', () => {
  let target: FakeTarget;
  let started: Started | undefined;
  let scripted: ScriptedGateway | undefined;
  let real: RealGateway | undefined;

  afterEach(async () => {
    await started?.close();
    await scripted?.stop();
    await real?.stop();
    await target?.stop();
    started = scripted = real = undefined;
  });

  const boot = async (gatewayUrl: string) => {
    target = new FakeTarget();
    target.mode = 'down';
    const targetUrl = await target.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gatewayUrl, MARKET_PREDICTOR_URL: targetUrl, SAFETY_MODE: 'false', AUTO_ACTION_MIN_CONFIDENCE: '0.5', ACTION_COOLDOWN: '0' });
    const { app } = started.agent;
    const fired = alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical' }, { annotations: { summary: 'market-predictor is down: the process exited' } });
    expect((await app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([fired]) })).statusCode).toBe(200);
    const [action] = await eventually(async () => {
      const actions = (await app.inject({ url: '/actions' })).json().actions as Action[];
      return actions.length > 0 ? actions : undefined;
    }, 15_000, 'a proposed action');
    return action!;
  };

  it('a 503 from GET /policy: the restart waits for a human with the reason, and runs once approved (the gateway still checks it)', async () => {
    scripted = new ScriptedGateway({ allowlist: ['market-predictor'] });
    scripted.policyStatus = 503;
    const action = await boot(await scripted.start());
    const { app } = started!.agent;
    expect(action).toMatchObject({ operation: 'restart', target: 'market-predictor', status: 'pending', decided_by: 'pending' });
    expect(action.decision_reason).toMatch(WAITS);
    expect(WAITS.exec(action.decision_reason)![1]).toContain('503');
    const incident = (await app.inject({ url: `/incidents/${action.incident_id}` })).json();
    expect(incident).toMatchObject({ state: 'awaiting_approval', escalation_reason: null });
    expect(incident.timeline.map((event: { type: string }) => event.type)).toContain('action-proposed');
    expect(scripted.policyReads.length).toBeGreaterThan(0);
    // The decision is in the audit trail as not automatic, with the same reason.
    const { records } = (await app.inject({ url: `/audit?subject=${action.incident_id}&action=action-decided`, headers: AUTHORIZED })).json() as { records: { data: Record<string, unknown> }[] };
    expect(records.map((record) => record.data)).toEqual([expect.objectContaining({ automatic: false, reason: action.decision_reason })]);
    // Nothing ran on its own.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(scripted.executeRequests).toHaveLength(0);

    // A human approves: the request goes to the gateway, which decides (here it allows and runs it).
    expect((await app.inject({ method: 'POST', url: `/actions/${action.id}/approve`, headers: AUTHORIZED, payload: { reason: 'checked by hand' } })).statusCode).toBe(200);
    await eventually(() => scripted!.executions.length === 1 || undefined, 10_000, 'the approved restart at the gateway');
    expect(scripted.executeRequests).toHaveLength(1);
  });

  it('a gateway that is not running: the restart waits for a human naming why the policy could not be read', async () => {
    real = new RealGateway();
    const gatewayUrl = await real.start();
    await real.stop();
    real = undefined;
    const action = await boot(gatewayUrl);
    expect(action).toMatchObject({ operation: 'restart', status: 'pending' });
    expect(action.decision_reason).toMatch(WAITS);
    expect((await started!.agent.app.inject({ url: `/incidents/${action.incident_id}` })).json().state).toBe('awaiting_approval');
  });

  it('a gateway that answers its policy: the same restart runs on its own', async () => {
    scripted = new ScriptedGateway({ allowlist: ['market-predictor'] });
    scripted.onExecute = () => {
      target.mode = 'healthy';
    };
    const action = await boot(await scripted.start());
    expect(action).toMatchObject({ operation: 'restart', decided_by: 'policy' });
    expect(action.decision_reason).not.toContain('gateway policy');
    await eventually(() => scripted!.executions.length === 1 || undefined, 10_000, 'the automatic restart');
  });
});
