import { afterAll, beforeAll, expect, it } from 'vitest';
import { alert, eventually, notification, startAgent } from './support/agent-harness.js';
import { FakeTarget } from './support/fake-target.js';
import { ScriptedGateway } from './support/scripted-gateway.js';

// The scripted gateway: the real one runs processes here (no images, so rollback is refused);
// this one answers the evidence inspect with an image history and grants the dry run, like a
// gateway on Docker whose policy grants rollback for the target.
let gateway: ScriptedGateway;
let target: FakeTarget;
let agent: Awaited<ReturnType<typeof startAgent>> | undefined;

beforeAll(async () => {
  gateway = new ScriptedGateway({ allowlist: ['market-predictor'] });
  await gateway.start();
  target = new FakeTarget();
  await target.start();
});
afterAll(async () => {
  await agent?.close();
  await gateway.stop();
  await target.stop();
});

it('a deploy regression is rolled back when the gateway grants it, verified, and still gets a coding task', async () => {
  const changed = new Date(Date.now() - 5 * 60_000).toISOString();
  gateway.evidenceInspect = {
    state: 'running', image: 'localhost/market-predictor:2', restart_count: 0,
    image_history: [
      { image: 'localhost/market-predictor:1', image_id: 'sha256:1', first_seen_at: '2026-01-01T00:00:00.000Z' },
      { image: 'localhost/market-predictor:2', image_id: 'sha256:2', first_seen_at: changed },
    ],
  };
  target.mode = 'down'; // 503 from /health: the new image fails
  gateway.onExecute = (request) => {
    if (request.action_request.intent.startsWith('roll back')) target.mode = 'healthy';
  };
  agent = await startAgent({
    AI_COMMAND_GATEWAY_URL: gateway.url,
    MARKET_PREDICTOR_URL: target.url,
    SAFETY_MODE: 'false',
    AUTO_ACTION_RISK_CLASSES: 'low,medium,high',
    AUTO_ACTION_MIN_CONFIDENCE: '0',
    HEALTH_CHECK_TIMEOUT: '5',
    VERIFICATION_WINDOW: '10',
  });
  const app = agent.agent.app;
  const firing = alert({ alertname: 'Http5xxBurst', service: 'market-predictor', severity: 'critical' }, { annotations: { summary: 'burst of 5xx answers' } });
  expect((await app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([firing]) })).statusCode).toBe(200);

  const incident = await eventually(async () => {
    const list = (await app.inject({ url: '/incidents' })).json().incidents as { id: string; coding_task: unknown }[];
    return list[0]?.coding_task ? list[0] : undefined;
  }, 20_000, 'the coding task after the rollback');
  const detail = (await app.inject({ url: `/incidents/${incident.id}` })).json();
  expect(detail.analysis).toMatchObject({ runbook: 'deploy-regression', analysis: { issue_type: 'deploy_regression', recommended_actions: [{ action: 'rollback' }, { action: 'escalate' }] } });
  expect(detail.analysis.evidence.facts).toEqual(expect.arrayContaining(['deploy-regression', 'image-changed-recently', 'health-unhealthy']));
  expect(detail.actions).toMatchObject([{ operation: 'rollback', status: 'succeeded', effective: true }]);
  expect(detail.coding_task).toMatchObject({ status: expect.any(String), requirement: expect.stringContaining('deploy_regression') });
  // Asked first with a dry run, then executed once.
  const rollbacks = gateway.executeRequests.filter((request) => (request.body.action_request as { intent: string }).intent.startsWith('roll back'));
  expect(rollbacks.map((request) => request.body.dry_run === true)).toEqual([true, false]);
  expect(detail.timeline.map((event: { type: string }) => event.type)).toContain('coding-task-requested');
});
