import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceProcess, startServiceProcess } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alert, eventually, notification } from '../support/agent-harness.js';
import { FakeTarget } from '../support/fake-target.js';
import { ScriptedGateway } from '../support/scripted-gateway.js';

// The scripted gateway, not the real one: the test needs a gateway that executes the first
// request and never answers (the agent dies not knowing the outcome), which the real gateway
// cannot be made to do on cue. It checks the token and the contract schema like the real one and
// records every request received and every operation performed.
describe('crash safety: SIGKILL between accepting an alert and finishing its action', () => {
  const agents: ServiceProcess[] = [];
  const startAgent = async (environment: Record<string, string>) => {
    const agent = await startServiceProcess('apps/devops-agent/src/main.ts', environment);
    agents.push(agent);
    return agent;
  };
  let gateway: ScriptedGateway;
  let target: FakeTarget;
  let directory: string;

  beforeAll(async () => {
    gateway = new ScriptedGateway({ token: 'crash-test-token-0123456789', allowlist: ['market-predictor'] });
    await gateway.start();
    target = new FakeTarget();
    await target.start();
    directory = mkdtempSync(join(tmpdir(), 'devops-agent-crash-'));
  });
  afterAll(async () => {
    await Promise.all(agents.map((agent) => agent.kill()));
    await gateway.stop();
    await target.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('loses nothing accepted and runs no action twice', async () => {
    const environment = {
      DATA_DIR: directory,
      SAFETY_MODE: 'false',
      ACTION_COOLDOWN: '0',
      AI_COMMAND_GATEWAY_URL: gateway.url,
      AI_COMMAND_GATEWAY_TOKEN: 'crash-test-token-0123456789',
      AI_COMMAND_GATEWAY_TIMEOUT: '60',
      MARKET_PREDICTOR_URL: target.url,
      HEALTH_CHECK_TIMEOUT: '1',
      VERIFICATION_INTERVAL: '0.1',
      VERIFICATION_WINDOW: '30',
      // The dead process's claims come back to the restarted one once their lease ran out.
      JOB_LEASE_SECONDS: '2',
    };
    target.mode = 'down';
    // The first execution hangs: the gateway executes it but never answers.
    gateway.queue({ kind: 'hang' });
    const first = await startAgent(environment);
    const url = first.url;
    const post = (alerts: ReturnType<typeof alert>[]) =>
      fetch(`${url}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification(alerts)) });

    const down = alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical' }, { fingerprint: 'crash-down' });
    expect((await post([down])).status).toBe(200);
    await eventually(() => gateway.executeRequests.length === 1, 15_000, 'the hanging gateway request');
    // More accepted work that the dying process has no time to touch.
    const batch = Array.from({ length: 50 }, (_, index) => alert({ alertname: 'MarketPredictorHung', service: 'market-predictor', pod: String(index) }, { fingerprint: `crash-hung-${index}` }));
    const accepted = await post(batch);
    expect(accepted.status).toBe(200);
    await first.kill();

    // The restarted agent resumes: the hanging action is re-sent with the same idempotency key.
    gateway.onExecute = () => {
      target.mode = 'healthy';
    };
    const second = await startAgent(environment);
    const restartedUrl = second.url;
    const get = async (path: string) => (await fetch(`${restartedUrl}${path}`)).json() as Promise<Record<string, unknown>>;

    const incidents = (await get('/incidents?limit=100')).incidents as { id: string; alertname: string }[];
    expect(incidents.map((incident) => incident.alertname).sort()).toEqual(['MarketPredictorDown', 'MarketPredictorHung']);
    const hung = incidents.find((incident) => incident.alertname === 'MarketPredictorHung')!;
    expect(((await get(`/incidents/${hung.id}`)).alerts as unknown[]).length).toBe(50);

    const downIncident = incidents.find((incident) => incident.alertname === 'MarketPredictorDown')!;
    const action = await eventually(async () => {
      const detail = await get(`/incidents/${downIncident.id}`);
      const [found] = detail.actions as { id: string; status: string; effective: boolean | null; idempotency_key: string }[];
      return found?.status === 'succeeded' ? found : undefined;
    }, 20_000, 'the resumed action to finish');
    // Sent at least twice (before the kill and after the restart), performed once: a resend under
    // a new idempotency key would be a second execution of the same action.
    const sent = gateway.executeRequests.filter((request) => (request.body.action_request as { context?: { action_id?: string } }).context?.action_id === action.id);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sent.map((request) => request.body.idempotency_key))).toEqual(new Set([action.idempotency_key]));
    expect(gateway.executionsWith({ action_id: action.id })).toHaveLength(1);
    expect(gateway.executionsWith({ incident_id: downIncident.id, operation: 'restart' })).toHaveLength(1);

    // The hung incident (accepted just before the kill) is analysed after the restart too.
    await eventually(async () => {
      const detail = await get(`/incidents/${hung.id}`);
      return (detail.timeline as { type: string }[]).some((event) => event.type === 'analysis-completed');
    }, 20_000, 'the second incident to be analysed');

    await fetch(`${restartedUrl}/webhook/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(notification([{ ...down, status: 'resolved' }, ...batch.map((entry) => ({ ...entry, status: 'resolved' as const }))])),
    });
    await eventually(async () => (await get(`/incidents/${downIncident.id}`)).state === 'resolved', 20_000, 'resolution');
    // No action ran twice, whatever key it was sent with: one execution per action.
    const perAction = new Map<unknown, number>();
    for (const execution of gateway.executions) {
      const actionId = typeof execution.context === 'object' ? execution.context.action_id : undefined;
      perAction.set(actionId, (perAction.get(actionId) ?? 0) + 1);
    }
    expect(perAction.size).toBeGreaterThanOrEqual(1);
    for (const [actionId, count] of perAction) expect(count, String(actionId)).toBe(1);
    expect(gateway.executeRequests.every((request) => request.status === undefined || request.status === 200)).toBe(true);
    expect((await get('/audit/verify')).valid).toBe(true);
    second.child.kill('SIGTERM');
  }, 90_000);
});
