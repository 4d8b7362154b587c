import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalysisContext, AnalysisOutcome, Analyzer } from '@atb/contracts';
import { afterEach, expect, it } from 'vitest';
import { buildDevopsAgent, type DevopsAgentService } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { alert, eventually, GATEWAY_TOKEN, notification, RealGateway } from './support/agent-harness.js';

/** An analyzer that, like an LLM judging a false alarm, finds no issue. */
class NothingToFixAnalyzer implements Analyzer {
  readonly name = 'nothing-to-fix';
  async analyze(context: AnalysisContext): Promise<AnalysisOutcome> {
    return {
      analyzer: this.name,
      analysis: {
        issue_detected: false,
        severity: 'low',
        issue_type: 'noise',
        description: `${context.alertname} is a known flapping probe; the service is healthy`,
        root_cause: 'none',
        recommended_actions: [],
        confidence: 0.9,
        requires_immediate_action: false,
        risk_assessment: 'acting would cause more harm than the alert',
      },
    };
  }
}

let agent: DevopsAgentService | undefined;
let gateway: RealGateway | undefined;
let directory: string | undefined;

afterEach(async () => {
  await agent?.close();
  await gateway?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
  agent = undefined;
  gateway = undefined;
});

it('an analysis that finds no issue leads to no action, even with safety mode off; the incident resolves with its alert', async () => {
  gateway = new RealGateway();
  await gateway.start();
  directory = mkdtempSync(join(tmpdir(), 'devops-agent-no-action-'));
  const config = readConfig({
    API_PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: directory,
    SAFETY_MODE: 'false',
    AI_COMMAND_GATEWAY_URL: gateway.url,
    AI_COMMAND_GATEWAY_TOKEN: GATEWAY_TOKEN,
    MARKET_PREDICTOR_URL: 'http://127.0.0.1:9',
    HEALTH_CHECK_TIMEOUT: '0.5',
  });
  agent = await buildDevopsAgent(config, { logger: false, analyzer: new NothingToFixAnalyzer() });
  const firing = alert({ alertname: 'TargetDown', service: 'market-predictor', severity: 'critical' });
  const response = await agent.app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([firing]) });
  const incidentId = response.json().incidents[0] as string;
  const timeline = await eventually(async () => {
    const body = (await agent!.app.inject({ url: `/incidents/${incidentId}` })).json() as { timeline: { type: string }[] };
    return body.timeline.some((event) => event.type === 'no-action-needed') ? body.timeline : undefined;
  }, 5000, 'a no-action-needed event');
  expect(timeline.map((event) => event.type)).not.toContain('action-approved');
  expect((await agent.app.inject({ url: `/actions?incident_id=${incidentId}` })).json().actions).toEqual([]);
  expect(gateway.commandRequests()).toHaveLength(0);
  const audit = (await agent.app.inject({ url: `/audit?subject=${incidentId}&action=action-decided` })).json() as { records: { data: { decision?: string } }[] };
  expect(audit.records.some((record) => record.data.decision === 'none')).toBe(true);

  await agent.app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([{ ...firing, status: 'resolved' }]) });
  await eventually(async () => (await agent!.agent.store.incidents.get(incidentId))?.state === 'resolved', 5000, 'resolved');
  expect(gateway.commandRequests()).toHaveLength(0);
});
