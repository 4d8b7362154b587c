import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from '@atb/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { TRUNCATION_MARK } from '../src/intake/annotation-cap.js';
import { alert, eventually, notification, RealGateway, startAgent } from './support/agent-harness.js';

const analysis = {
  issue_detected: true,
  severity: 'critical',
  issue_type: 'service_down',
  description: 'market-predictor does not answer.',
  root_cause: 'The process exited.',
  recommended_actions: [{ action: 'restart', target: 'market-predictor', reason: 'the process exited' }],
  confidence: 0.8,
  requires_immediate_action: true,
  risk_assessment: 'A restart interrupts requests briefly.',
};

/** 1 MB built to be hard on redaction: dotted runs, assignments, connection strings and a long quoted secret. */
function adversarialAnnotation(): string {
  const pieces = ['a.'.repeat(5000), 'password=', 'x'.repeat(3000), ' postgres://u:', 'p@'.repeat(2000), ' {\\"token\\":\\"', 'b'.repeat(4000)];
  let text = '';
  while (text.length < 1_000_000) text += pieces.join('');
  return text.slice(0, 1_000_000);
}

describe('a 1 MB annotation with an LLM configured', () => {
  let started: Awaited<ReturnType<typeof startAgent>> | undefined;
  let model: ScriptedOpenAIServer | undefined;
  let gateway: RealGateway | undefined;
  afterEach(async () => {
    await started?.close();
    await model?.close();
    await gateway?.stop();
  });

  it('keeps /health answering within 1 s while it is analysed; analysis sees the capped text, storage keeps all of it', async () => {
    gateway = new RealGateway();
    await gateway.start();
    // The model answers after a while, so the analysis is in flight while /health is probed.
    model = await startScriptedOpenAIServer(() => ({ content: JSON.stringify(analysis), delay_ms: 300 }));
    started = await startAgent({
      AI_COMMAND_GATEWAY_URL: gateway.url,
      MARKET_PREDICTOR_URL: gateway.url,
      LLM_PROVIDER: 'openai-compatible',
      LLM_BASE_URL: model.url,
      LLM_MODEL: 'scripted-model',
      LLM_MAX_RETRIES: '0',
    });
    const url = await started.agent.listen();
    const description = adversarialAnnotation();
    const body = JSON.stringify(notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical' }, { annotations: { summary: 'down', description } })]));

    const probes: number[] = [];
    let analysed = false;
    const probing = (async () => {
      while (!analysed) {
        const begun = performance.now();
        const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
        await health.arrayBuffer();
        probes.push(performance.now() - begun);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const delivered = await fetch(`${url}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(delivered.status).toBe(200);
    const incident = await eventually(async () => (await started!.agent.agent.store.incidents.list()).find((found) => found.analysis !== null), 20_000, 'an analysed incident');
    analysed = true;
    await probing;

    expect(incident.analyzer).toBe('llm');
    expect(probes.length).toBeGreaterThan(3);
    expect(Math.max(...probes), `slowest /health: ${Math.round(Math.max(...probes))} ms`).toBeLessThan(1000);
    // What the model received: the capped annotation, not the megabyte.
    const prompt = model.requests.find((request) => request.path.endsWith('/chat/completions'))!.raw;
    expect(prompt.length).toBeLessThan(100_000);
    expect(prompt).toContain('truncated: ');
    // The stored alert keeps the full text.
    const stored = await started.agent.agent.store.incidents.alerts(incident.id);
    expect(stored[0]!.annotations.description).toBe(description);
    expect(stored[0]!.annotations.description).not.toContain(TRUNCATION_MARK);
  });
});
