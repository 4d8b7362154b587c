import { type AnalysisContext, createTaskResponseSchema, type Evidence, type IncidentDetail } from '@atb/contracts';
import { describeWithComponent, type PodmanEngine, probePodman, startPodman, waitFor } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseRunbook, runbookSubject } from '../../src/analysis/choose-runbook.js';
import { RuleAnalyzer } from '../../src/analysis/rule-analyzer.js';
import { defaultRunbooksFile, loadRunbooks } from '../../src/analysis/runbooks.js';
import { rollbackGrant } from '../../src/policy/rollback-grant.js';
import { type DrillBench, runDrill, startDrillBench } from '../drills/capture-drills.js';
import { DRILLS } from '../drills/drills.js';
import { alert, eventually, notification, startAgent } from '../support/agent-harness.js';
import { FakeTarget } from '../support/fake-target.js';

const runbooks = loadRunbooks(defaultRunbooksFile());
const nameOf = (id: string) => `atb-drill-test-${id}`;

/** The rule analyzer's answer for an alert on a drill's evidence, as the agent builds its context. */
async function analyse(alertname: string, summary: string, evidence: Evidence) {
  const alerts = [{ fingerprint: 'f', status: 'firing' as const, labels: { alertname, service: 'market-predictor' }, annotations: { summary }, startsAt: '', endsAt: '' }];
  const { match, candidates } = chooseRunbook(runbooks, runbookSubject(alerts, { alertname }, evidence), []);
  const context: AnalysisContext = {
    incident_id: 'inc_drill', alertname, service: 'market-predictor', severity: 'critical', alerts, history: [], learning: [],
    candidate_actions: candidates.map((candidate) => ({ action: candidate.action, risk: candidate.risk })), flap_count: 0, evidence,
    ...(match ? { runbook: match.runbook.name } : {}),
  };
  return (await new RuleAnalyzer(runbooks).analyze(context)).analysis;
}

describeWithComponent('Podman drills: each failure named from its evidence, with the right first action', await probePodman(), 'install it: scripts/install-system-deps.sh', () => {
  let engine: PodmanEngine;
  let bench: DrillBench;
  const drills = ['crash', 'hang', 'leak', 'deploy', 'dependency'].map((id) => DRILLS.find((drill) => drill.id === id)!);

  beforeAll(async () => {
    engine = await startPodman();
    const names = [...drills.map((drill) => nameOf(drill.id)), nameOf('deploy-agent')];
    bench = await startDrillBench(engine, names, [nameOf('deploy'), nameOf('deploy-agent')]);
  }, 240_000);
  afterAll(async () => {
    for (const id of [...drills.map((drill) => drill.id), 'deploy-agent']) await engine?.docker.getContainer(nameOf(id)).remove({ force: true }).catch(() => {});
    await bench?.close();
  });

  describe.each(drills)('$id', (drill) => {
    it('is diagnosed from the evidence with an acceptable first action, for every alert name', async () => {
      const evidence = await runDrill(bench, drill, nameOf(drill.id));
      expect(evidence.sources.filter((source) => source.status === 'unavailable')).toEqual([]);
      for (const alert of drill.alerts) {
        const analysis = await analyse(alert.alertname, alert.summary, evidence);
        expect(alert.expected.issue_types, `${alert.alertname}: ${analysis.root_cause}`).toContain(analysis.issue_type);
        expect(alert.expected.acceptable_actions, alert.alertname).toContain(analysis.recommended_actions[0]?.action);
        expect(analysis.root_cause).toContain('Evidence:');
      }
      if (drill.id === 'dependency') {
        const analysis = await analyse(drill.alerts[0]!.alertname, drill.alerts[0]!.summary, evidence);
        expect(analysis.description).toContain('Failing dependency: price_feed');
      }
      if (drill.id === 'deploy') {
        // Granted for this target and an earlier image known: the agent may propose it; the rollback restores v1.
        const target = nameOf('deploy');
        expect(await rollbackGrant(bench.gateway, target, 'inc_drill')).toEqual({ granted: true });
        const result = await bench.gateway.execute({ target, intent: `roll back the ${target} container to its previous image`, context: {}, priority: 'HIGH', idempotencyKey: `drill-rollback-${Date.now()}` });
        expect(result.ok && result.response.overall_status).toBe('success');
        const info = await engine.docker.getContainer(target).inspect();
        expect(info.Config.Env).toContain('APP_VERSION=1');
        const port = info.Config.Env.find((entry) => entry.startsWith('PORT='))!.slice(5);
        await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200, { timeoutMs: 20_000, description: 'v1 to answer again' });
        expect(await rollbackGrant(bench.gateway, nameOf('crash'), 'inc_drill')).toMatchObject({ granted: false, reason: expect.stringContaining('granted per target') });
      }
    }, 90_000);
  });

  it('the image-change drill through the real agent: rolled back as the policy grants, verified, and a coding task opened', async () => {
    const target = nameOf('deploy-agent');
    const drill = DRILLS.find((entry) => entry.id === 'deploy')!;
    await runDrill(bench, drill, target); // v1 seen by the gateway, then v2 failing every request
    const before = await engine.docker.getContainer(target).inspect();
    expect(before.Config.Env).toContain('APP_VERSION=2');
    const port = before.Config.Env.find((entry) => entry.startsWith('PORT='))!.slice(5);
    // The coding agent at the wire: it records the task it is handed and keeps it queued.
    const coding = new FakeTarget();
    await coding.start();
    coding.routes.set('POST /tasks', () => [202, createTaskResponseSchema.parse({ task_id: 'task-deploy', status: 'queued', duplicate: false, links: { self: '/tasks/task-deploy' } })]);
    const agent = await startAgent({
      MONITORED_SERVICE: target,
      MARKET_PREDICTOR_URL: `http://127.0.0.1:${port}`,
      AI_COMMAND_GATEWAY_URL: bench.url,
      AI_COMMAND_GATEWAY_TOKEN: bench.token,
      // Generous: a loaded machine must not turn a slow engine into "unavailable" or a timeout.
      AI_COMMAND_GATEWAY_TIMEOUT: '60',
      EVIDENCE_BUDGET_SECONDS: '30',
      HEALTH_CHECK_TIMEOUT: '5',
      VERIFICATION_WINDOW: '60',
      VERIFICATION_INTERVAL: '0.5',
      SAFETY_MODE: 'false',
      AUTO_ACTION_RISK_CLASSES: 'low,medium,high',
      AUTO_ACTION_MIN_CONFIDENCE: '0',
      CODING_AGENT_URL: coding.url,
      CODING_AGENT_TOKEN: 'coding-agent-token-0123456789',
      CODING_TASK_POLL_INTERVAL: '60',
    });
    try {
      const app = agent.agent.app;
      const labels = { alertname: 'Http5xxBurst', service: target, container: target, severity: 'critical' };
      const accepted = await app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert(labels, { annotations: { summary: 'burst of 5xx answers' } })]) });
      expect(accepted.statusCode, accepted.body).toBe(200);
      const incidentId = accepted.json().incidents[0] as string;
      const detail = await eventually(
        async () => {
          const found = (await app.inject({ url: `/incidents/${incidentId}` })).json() as IncidentDetail;
          return found.coding_task?.task_id && found.actions.some((action) => action.effective !== null) ? found : undefined;
        },
        150_000,
        'the verified rollback and the accepted coding task',
      );
      // Named from the evidence read through the real gateway: the image changed, health answers 500, the logs throw.
      expect(detail.analysis).toMatchObject({ runbook: 'deploy-regression', analysis: { issue_type: 'deploy_regression', recommended_actions: [{ action: 'rollback' }, { action: 'escalate' }] } });
      expect(detail.analysis?.evidence?.facts).toEqual(expect.arrayContaining(['deploy-regression', 'image-changed-recently', 'health-unhealthy', 'logs-exception', 'process-running']));
      expect(detail.actions.filter((action) => action.operation !== 'logs' && action.operation !== 'inspect')).toMatchObject([
        { operation: 'rollback', target, status: 'succeeded', effective: true, decided_by: 'policy' },
      ]);
      // The engine runs v1 again under the same name, answering on the same port.
      const after = await engine.docker.getContainer(target).inspect();
      expect(after.Name.replace(/^\//, '')).toBe(target);
      expect(after.Config.Env).toEqual(expect.arrayContaining(['APP_VERSION=1', `PORT=${port}`]));
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      // Still a code problem: the coding agent was handed the task for this incident.
      expect(detail.coding_task).toMatchObject({ task_id: 'task-deploy', requirement: expect.stringContaining('deploy_regression') });
      const submitted = coding.posts.filter((entry) => entry.url === 'POST /tasks');
      expect(submitted).toHaveLength(1);
      expect(submitted[0]!.body).toMatchObject({ incident_id: incidentId, requirement: expect.stringContaining('deploy_regression') });
      expect(submitted[0]!.authorization).toBe('Bearer coding-agent-token-0123456789');
    } finally {
      await agent.close();
      await coding.stop();
    }
  }, 240_000);
});
