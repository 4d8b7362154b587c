import type { AnalysisContext, Evidence } from '@atb/contracts';
import { describeWithComponent, type PodmanEngine, probePodman, startPodman, waitFor } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseRunbook, runbookSubject } from '../../src/analysis/choose-runbook.js';
import { RuleAnalyzer } from '../../src/analysis/rule-analyzer.js';
import { defaultRunbooksFile, loadRunbooks } from '../../src/analysis/runbooks.js';
import { rollbackGrant } from '../../src/policy/rollback-grant.js';
import { type DrillBench, runDrill, startDrillBench } from '../drills/capture-drills.js';
import { DRILLS } from '../drills/drills.js';

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
    bench = await startDrillBench(engine, drills.map((drill) => nameOf(drill.id)), [nameOf('deploy')]);
  }, 240_000);
  afterAll(async () => {
    for (const drill of drills) await engine?.docker.getContainer(nameOf(drill.id)).remove({ force: true }).catch(() => {});
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
});
