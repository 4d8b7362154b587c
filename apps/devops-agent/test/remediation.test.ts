import { createTaskResponseSchema, type TaskView, taskSchema } from '@atb/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUTHORIZED, alert, eventually, GATEWAY_TOKEN, issueToken, notification, RealGateway, startAgent } from './support/agent-harness.js';
import { FakeTarget } from './support/fake-target.js';

type Started = Awaited<ReturnType<typeof startAgent>>;

/** A `GET /tasks/:id` answer of the coding agent, checked against the task contract. */
function taskAnswer(status: TaskView['status'], extra: Partial<TaskView> = {}): TaskView {
  const now = new Date().toISOString();
  return taskSchema.parse({
    task_id: 'task-42',
    repository: 'market-predictor',
    requirement: 'fix it',
    status,
    created_at: now,
    updated_at: now,
    steps: [],
    has_patch: false,
    edits: [],
    test_results: { runs: [] },
    security_findings: [],
    tokens: { input: 0, output: 0, total: 0 },
    cost_usd: 0,
    iterations: 0,
    resumes: 0,
    ...extra,
  });
}

describe('approvals, remediation, verification, learning, escalation', () => {
  let started: Started | undefined;
  let gateway: RealGateway;
  let target: FakeTarget;

  beforeEach(async () => {
    gateway = new RealGateway({ targets: ['predictor-1', 'market-predictor'] });
    await gateway.start();
    target = new FakeTarget();
    await target.start();
  });
  afterEach(async () => {
    await started?.close();
    started = undefined;
    await gateway.stop();
    await target.stop();
  });

  const boot = async (environment: Record<string, string> = {}) => {
    started = await startAgent({
      AI_COMMAND_GATEWAY_URL: gateway.url,
      MARKET_PREDICTOR_URL: target.url,
      ESCALATION_WEBHOOK_URL: `${target.url}/slack`,
      ...environment,
    });
    target.routes.set('POST /slack', () => [200, { ok: true }]);
    return started;
  };
  const app = () => started!.agent.app;
  const store = () => started!.agent.agent.store;
  const send = (alerts: ReturnType<typeof alert>[]) => app().inject({ method: 'POST', url: '/webhook/alerts', payload: notification(alerts) });
  const pending = () => eventually(async () => (await app().inject({ url: '/actions?status=pending' })).json().actions[0] as { id: string; incident_id: string } | undefined, 5000, 'a pending action');

  it('safety mode: nothing runs until approved; then one restart, verified effective when the alert resolves', async () => {
    await boot();
    const firing = alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', container: 'predictor-1', severity: 'critical' });
    await send([firing]);
    const action = await pending();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(gateway.commandRequests()).toHaveLength(0);

    const alice = { authorization: `Bearer ${await issueToken(started!.agent, { name: 'alice', role: 'operator' })}` };
    const approved = await app().inject({ method: 'POST', headers: alice, url: `/actions/${action.id}/approve`, payload: { reason: 'looks right' } });
    expect(approved.statusCode).toBe(200);
    await eventually(() => gateway.commandRequests().length === 1, 5000, 'the gateway request');
    const request = gateway.commandRequests()[0]!;
    expect(request.authorization).toBe(`Bearer ${GATEWAY_TOKEN}`);
    expect(request.body).toMatchObject({
      source_id: 'devops-agent',
      target_resource: { name: 'predictor-1' },
      action_request: { intent: 'restart the predictor-1 container', priority: 'HIGH' },
    });
    expect((request.body.action_request as { context: Record<string, unknown> }).context).toMatchObject({ incident_id: action.incident_id, issue_type: 'service_down', approved_by: 'alice' });
    expect(request.body.idempotency_key).toMatch(/^devops-agent:[0-9a-f]{32}$/);
    await eventually(async () => (await store().incidents.get(action.incident_id))?.state === 'verifying', 5000, 'verifying');

    await send([{ ...firing, status: 'resolved' }]);
    const incident = await eventually(async () => {
      const found = (await app().inject({ url: `/incidents/${action.incident_id}` })).json();
      return found.state === 'resolved' ? found : undefined;
    }, 5000, 'resolved');
    expect(incident.actions[0]).toMatchObject({ status: 'succeeded', effective: true, approved_by: 'alice', decided_by: 'human' });
    expect(incident.timeline.map((event: { type: string }) => event.type)).toEqual(
      expect.arrayContaining(['action-approved', 'action-started', 'action-finished', 'alerts-resolved', 'action-verified', 'incident-resolved']),
    );
    const stats = (await app().inject({ url: '/learning/stats' })).json().stats;
    expect(stats).toEqual([expect.objectContaining({ alertname: 'MarketPredictorDown', service: 'market-predictor', action: 'restart', attempts: 1, successes: 1, effective_rate: 1 })]);
    expect(stats[0].mean_time_to_recovery_s).toBeGreaterThanOrEqual(0);
    expect((await app().inject({ method: 'POST', headers: AUTHORIZED, url: `/actions/${action.id}/approve`, payload: {} })).statusCode).toBe(409);
    // The real gateway received one command and its runtime really restarted the process once.
    expect(gateway.commandRequests()).toHaveLength(1);
    expect(gateway.performed).toEqual([{ operation: 'restart', target: 'predictor-1' }]);

    const audit = (await app().inject({ url: `/audit?subject=${action.incident_id}&limit=1000` })).json().records as { action: string; actor: string }[];
    expect(audit.map((record) => record.action)).toEqual(
      expect.arrayContaining(['analysis-completed', 'action-decided', 'action-approved', 'action-started', 'action-finished', 'action-verified', 'incident-resolved']),
    );
    const received = (await app().inject({ url: '/audit?action=alerts-received' })).json().records as { data: { opened: string[] } }[];
    expect(received.flatMap((record) => record.data.opened)).toContain(action.incident_id);
    expect(audit.find((record) => record.action === 'action-approved')?.actor).toBe('alice');
    expect((await app().inject({ url: '/audit/verify' })).json()).toMatchObject({ valid: true });
    const metrics = (await app().inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/devops_agent_decision_latency_seconds_count\{[^}]*\} 1/);
    expect(metrics).toMatch(/devops_agent_time_to_recovery_seconds_count\{[^}]*alertname="MarketPredictorDown"[^}]*\} 1/);
    expect(metrics).toMatch(/devops_agent_incidents\{[^}]*state="resolved"[^}]*\} 1/);
  });

  it('validates approvals: 404 unknown, 422 without a reject reason, reject escalates with a Slack-compatible message', async () => {
    await boot();
    await send([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' })]);
    const action = await pending();
    expect((await app().inject({ method: 'POST', headers: AUTHORIZED, url: '/actions/nope/approve', payload: {} })).statusCode).toBe(404);
    const missing = await app().inject({ method: 'POST', headers: AUTHORIZED, url: `/actions/${action.id}/reject`, payload: {} });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().field).toBe('body.reason');
    const carol = { authorization: `Bearer ${await issueToken(started!.agent, { name: 'carol', role: 'operator' })}` };
    const rejected = await app().inject({ method: 'POST', headers: carol, url: `/actions/${action.id}/reject`, payload: { reason: 'maintenance window' } });
    expect(rejected.json()).toMatchObject({ status: 'rejected', approved_by: 'carol' });
    const incident = await eventually(async () => {
      const found = await store().incidents.get(action.incident_id);
      return found?.state === 'escalated' ? found : undefined;
    }, 5000, 'escalated');
    expect(incident.escalation_reason).toContain('rejected by carol');
    const post = await eventually(() => target.posts.find((entry) => entry.url === 'POST /slack'), 5000, 'the escalation webhook');
    expect(post.body).toMatchObject({ text: expect.stringContaining('Escalated'), blocks: expect.any(Array) });
    expect(JSON.stringify(post.body)).toContain(`/incidents/${action.incident_id}`);
    expect(gateway.commandRequests()).toHaveLength(0);
  });

  it('approvals expire after APPROVAL_TTL and escalate', async () => {
    await boot({ APPROVAL_TTL: '1' });
    await send([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' })]);
    const action = await pending();
    const expired = await eventually(async () => {
      const found = await store().actions.get(action.id);
      return found?.status === 'expired' ? found : undefined;
    }, 6000, 'expiry');
    expect(expired.status).toBe('expired');
    expect((await store().incidents.get(action.incident_id))?.state).toBe('escalated');
    expect((await app().inject({ method: 'POST', headers: AUTHORIZED, url: `/actions/${action.id}/approve`, payload: {} })).statusCode).toBe(409);
  });

  it('autonomous mode: runs on its own, verifies by health, and learns', async () => {
    await boot({ SAFETY_MODE: 'false' });
    target.mode = 'down';
    gateway.onExecute = () => {
      target.mode = 'healthy';
    };
    const firing = alert({ alertname: 'TargetDown', service: 'market-predictor', severity: 'critical' });
    const response = await send([firing]);
    const incidentId = response.json().incidents[0] as string;
    const action = await eventually(async () => {
      const [found] = await store().actions.list({ incident_id: incidentId });
      return found?.effective === true ? found : undefined;
    }, 5000, 'an effective action');
    expect(action).toMatchObject({ operation: 'restart', decided_by: 'policy', status: 'succeeded' });
    // Health is back but the alert still fires: the incident waits for it to resolve.
    expect((await store().incidents.get(incidentId))?.state).toBe('verifying');
    await send([{ ...firing, status: 'resolved' }]);
    await eventually(async () => (await store().incidents.get(incidentId))?.state === 'resolved', 5000, 'resolved');
    expect(gateway.totalExecutions()).toBe(1);
  });

  it('autonomous mode: low confidence waits for a human with the reason', async () => {
    await boot({ SAFETY_MODE: 'false', AUTO_ACTION_MIN_CONFIDENCE: '0.99' });
    await send([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' })]);
    const action = (await pending()) as unknown as { decision_reason: string };
    expect(action.decision_reason).toMatch(/confidence .* is below 0.99/);
  });

  it('an ineffective action leads to the next candidate; the circuit opens and escalates', async () => {
    await boot({ SAFETY_MODE: 'false', VERIFICATION_WINDOW: '0.3', CIRCUIT_FAILURE_THRESHOLD: '1', ACTION_COOLDOWN: '0' });
    target.mode = 'down';
    const response = await send([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' })]);
    const incidentId = response.json().incidents[0] as string;
    const incident = await eventually(async () => {
      const found = await store().incidents.get(incidentId);
      return found?.state === 'escalated' ? found : undefined;
    }, 8000, 'escalation');
    expect(incident.escalation_reason).toMatch(/tried restart without recovery/);
    const [action] = await store().actions.list({ incident_id: incidentId });
    expect(action).toMatchObject({ operation: 'restart', effective: false });
    const status = (await app().inject({ url: '/status' })).json();
    expect(status.open_circuits).toEqual(['market-predictor']);
    expect(status.safety_mode).toBe(false);

    const second = await send([alert({ alertname: 'MarketPredictorHung', service: 'market-predictor' })]);
    const secondId = second.json().incidents[0] as string;
    const escalated = await eventually(async () => {
      const found = await store().incidents.get(secondId);
      return found?.state === 'escalated' ? found : undefined;
    }, 5000, 'circuit escalation');
    expect(escalated.escalation_reason).toMatch(/circuit open for market-predictor/);
    expect(gateway.totalExecutions()).toBe(1);
    const stats = (await app().inject({ url: '/learning/stats' })).json().stats;
    expect(stats[0]).toMatchObject({ action: 'restart', attempts: 1, successes: 0, effective_rate: 0 });
  });

  it('a failed gateway action is recorded and the next candidate follows', async () => {
    // The real gateway answers `error` when the runtime fails: market-predictor is allowlisted but no process runs it.
    await gateway.stop();
    gateway = new RealGateway({ targets: ['predictor-1'], missingTargets: ['market-predictor'] });
    await gateway.start();
    await boot({ SAFETY_MODE: 'false' });
    target.mode = 'down';
    const response = await send([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' })]);
    const incidentId = response.json().incidents[0] as string;
    await eventually(async () => (await store().incidents.get(incidentId))?.state === 'escalated', 5000, 'escalation');
    const [action] = await store().actions.list({ incident_id: incidentId });
    expect(action).toMatchObject({ status: 'failed', gateway_response: expect.objectContaining({ overall_status: 'error' }) });
    expect(gateway.totalExecutions()).toBe(0);
  });

  it('a code-level incident asks the coding agent (retrying until accepted) and links the pull request', async () => {
    let submissions = 0;
    target.routes.set('POST /tasks', () => {
      submissions += 1;
      return submissions === 1
        ? [503, { error: 'unavailable', message: 'busy' }]
        : [202, createTaskResponseSchema.parse({ task_id: 'task-42', status: 'queued', duplicate: false, links: { self: '/tasks/task-42' } })];
    });
    let polls = 0;
    target.routes.set('GET /tasks/task-42', () => {
      polls += 1;
      return [200, polls < 2 ? taskAnswer('running') : taskAnswer('completed', { pull_request: { number: 7, url: 'http://forge.local/pr/7', state: 'open' } })];
    });
    await boot({
      SAFETY_MODE: 'false',
      AUTO_ACTION_MIN_CONFIDENCE: '0.5',
      CODING_AGENT_URL: target.url,
      CODING_AGENT_TOKEN: 'coding-agent-token-0123456789',
      CODING_TASK_POLL_INTERVAL: '0.05',
    });
    const response = await send([alert({ alertname: 'MarketPredictorHighErrorRate', service: 'market-predictor', severity: 'high' })]);
    const incidentId = response.json().incidents[0] as string;
    const incident = await eventually(async () => {
      const found = await store().incidents.get(incidentId);
      return found?.coding_task?.pull_request_url ? found : undefined;
    }, 10_000, 'the pull request link');
    expect(incident.state).toBe('escalated');
    expect(incident.coding_task).toMatchObject({ status: 'completed', task_id: 'task-42', repository: 'market-predictor', pull_request_url: 'http://forge.local/pr/7' });
    const submitted = target.posts.filter((entry) => entry.url === 'POST /tasks');
    expect(submitted).toHaveLength(2);
    // It authenticates as itself (CODING_AGENT_TOKEN), on submissions and polls alike.
    expect(target.posts.filter((entry) => entry.url.includes('/tasks')).every((entry) => entry.authorization === 'Bearer coding-agent-token-0123456789')).toBe(true);
    expect(submitted[1]!.body).toMatchObject({ repository: 'market-predictor', incident_id: incidentId, requirement: expect.stringContaining('error_rate_regression') });
    const [logs] = await store().actions.list({ incident_id: incidentId });
    expect(logs).toMatchObject({ operation: 'logs', status: 'succeeded', effective: null });
    const events = (await store().incidents.events(incidentId)).map((event) => event.type);
    expect(events).toEqual(expect.arrayContaining(['coding-task-requested', 'coding-task-accepted', 'pull-request-opened']));
  });
});
