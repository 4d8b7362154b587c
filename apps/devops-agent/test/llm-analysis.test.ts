import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from '@atb/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { alert, eventually, notification, RealGateway, startAgent } from './support/agent-harness.js';
import { FakeTarget } from './support/fake-target.js';

const analysis = {
  issue_detected: true,
  severity: 'critical',
  issue_type: 'service_down',
  description: 'market-predictor does not answer.',
  root_cause: 'The process exited; logs end with a crash.',
  recommended_actions: [
    { action: 'restart', target: 'market-predictor', reason: 'the process exited' },
    { action: 'docker rm -f', target: 'market-predictor' },
  ],
  confidence: 0.8,
  requires_immediate_action: true,
  risk_assessment: 'A restart interrupts requests briefly.',
};

describe('devops-agent with LLM_PROVIDER set (wiring of packages/llm)', () => {
  let started: Awaited<ReturnType<typeof startAgent>> | undefined;
  let model: ScriptedOpenAIServer | undefined;
  let gateway: RealGateway | undefined;
  const target = new FakeTarget();
  afterEach(async () => {
    await started?.close();
    await model?.close();
    await gateway?.stop();
    await target.stop();
    started = undefined;
    gateway = undefined;
  });

  const boot = async (script: Parameters<typeof startScriptedOpenAIServer>[0]) => {
    gateway = new RealGateway();
    await gateway.start();
    await target.start();
    model = await startScriptedOpenAIServer(script);
    started = await startAgent({
      AI_COMMAND_GATEWAY_URL: gateway.url,
      MARKET_PREDICTOR_URL: target.url,
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: model.url,
      LLM_MODEL: 'scripted-model',
      LLM_MAX_RETRIES: '0',
    });
    const app = started.agent.app;
    const response = await app.inject({
      method: 'POST',
      url: '/webhook/alerts',
      payload: notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical' })]),
    });
    expect(response.statusCode).toBeLessThan(300);
    return eventually(async () => (await started!.agent.agent.store.incidents.list()).find((incident) => incident.analysis !== null), 10_000, 'an analysed incident');
  };

  it('investigates with read-only tools through the gateway and records the LLM analysis', async () => {
    const incident = await boot([
      { tool_calls: [{ name: 'container_logs', arguments: { container: 'market-predictor', tail: 50 } }, { name: 'past_incidents', arguments: {} }] },
      { content: JSON.stringify(analysis) },
    ]);
    expect(incident.analyzer).toBe('llm');
    expect(incident.analysis?.analysis.recommended_actions).toEqual([{ action: 'restart', target: 'market-predictor', risk: 'medium', reason: 'the process exited' }]);
    const logsRequest = gateway!.commandRequests().find((request) => (request.body.action_request as { intent: string }).intent.includes('log lines'));
    expect(logsRequest?.body.target_resource).toEqual({ name: 'market-predictor' });
    const usage = (await started!.agent.app.inject({ url: '/llm/usage' })).json();
    expect(usage).toMatchObject({ enabled: true, providers: ['openai-compatible:scripted-model'], totals: { calls: 2 } });
    expect((await started!.agent.app.inject({ url: '/metrics' })).body).toContain('llm_tokens_total');
  });

  it('answers with the rule analyzer when the provider is down, recording why', async () => {
    const incident = await boot(() => ({ status: 503 }));
    expect(incident.analyzer).toBe('rules');
    expect(incident.analysis?.fallback_reason).toMatch(/providers_failed/);
  });
});
