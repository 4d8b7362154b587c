import { analysisResultSchema } from '@atb/contracts';
import { describe, expect, it } from 'vitest';
import type { InvestigationPorts } from '../src/investigation-tools.js';
import { analyzerFor, incidentContext, routerFor, scriptedServer, validAnalysis } from './fixtures.js';

const ports: InvestigationPorts = {
  async prometheusQuery(query) {
    return { resultType: 'vector', result: [{ metric: { job: 'market-predictor' }, value: [1, '0'] , query }] };
  },
  async containerLogs(container, { tail }) {
    const lines = Array.from({ length: 500 }, (_, index) => `2026-01-01T00:00:${String(index % 60).padStart(2, '0')}Z ${container} GET /predict 200 12ms`);
    lines.push('FATAL JavaScript heap out of memory');
    return lines.slice(-tail).join('\n');
  },
  async containerInspect() {
    return { State: { Status: 'exited', ExitCode: 137, OOMKilled: true }, RestartCount: 2 };
  },
  async pastIncidents() {
    return [{ incident_id: 'inc-old', issue_type: 'service_down', action: 'restart', effective: true }];
  },
  async learningStats() {
    return [{ action: 'restart', attempts: 4, successes: 4 }];
  },
  async serviceHealth() {
    throw new Error('connect ECONNREFUSED');
  },
};

describe('LLM analyzer through the scripted server', () => {
  it('runs a tool-using investigation that ends in a valid analysis', async () => {
    const server = await scriptedServer([
      {
        tool_calls: [
          { name: 'prometheus_query', arguments: { query: 'up{job="market-predictor"}' } },
          { name: 'container_inspect', arguments: { container: 'market-predictor' } },
        ],
      },
      { tool_calls: [{ name: 'container_logs', arguments: { container: 'market-predictor', tail: 500 } }, { name: 'service_health', arguments: {} }] },
      { tool_calls: [{ name: 'past_incidents', arguments: {} }, { name: 'learning_stats', arguments: {} }] },
      { content: JSON.stringify(validAnalysis) },
    ]);
    const { analyzer, fallback } = analyzerFor(routerFor([server]), { ports });
    const outcome = await analyzer.analyze(incidentContext());

    expect(outcome.analyzer).toBe('llm');
    expect(outcome.fallback_reason).toBeUndefined();
    expect(fallback.calls).toBe(0);
    expect(analysisResultSchema.parse(outcome.analysis).issue_type).toBe('service_down');
    expect(outcome.analysis.recommended_actions).toEqual([
      { action: 'restart', target: 'market-predictor', risk: 'medium', reason: 'the process exited' },
      { action: 'escalate', target: 'market-predictor', risk: 'low' },
    ]);
    expect(outcome.usage?.calls).toBe(4);
    expect(outcome.usage?.prompt_tokens).toBeGreaterThan(0);

    // Tools were offered, called, and their (budgeted) outputs went back to the model.
    const first = server.requests[0]!.body;
    expect(first.tools.map((tool: { function: { name: string } }) => tool.function.name).sort()).toEqual(
      ['container_inspect', 'container_logs', 'learning_stats', 'past_incidents', 'prometheus_query', 'service_health'].sort(),
    );
    const last = server.requests[3]!.body.messages as { role: string; content: string }[];
    const toolMessages = last.filter((message) => message.role === 'tool');
    expect(toolMessages).toHaveLength(6);
    const logs = toolMessages.find((message) => message.content.includes('heap out of memory'))!;
    expect(logs.content.length).toBeLessThan(3_200);
    expect(logs.content).toMatch(/similar lines|dropped/);
    expect(toolMessages.some((message) => message.content.includes('tool service_health failed'))).toBe(true);
    expect(analyzer.lastTrace?.tool_calls.map((call) => call.tool)).toContain('container_logs');
    // No unbound placeholder ever reached the model.
    expect(server.requests.map((request) => request.raw).join('')).not.toMatch(/\{\{\s*\w+\s*\}\}/);
  });

  it('repairs invalid JSON once with the validation errors', async () => {
    const server = await scriptedServer([
      { content: 'The service is down, I think you should restart it.' },
      { content: `\`\`\`json\n${JSON.stringify(validAnalysis)}\n\`\`\`` },
    ]);
    const { analyzer } = analyzerFor(routerFor([server]));
    const outcome = await analyzer.analyze(incidentContext());
    expect(outcome.analyzer).toBe('llm');
    expect(analyzer.lastTrace?.repaired).toBe(true);
    const repairRequest = JSON.stringify(server.requests[1]!.body.messages);
    expect(repairRequest).toContain('could not be used');
    expect(repairRequest).toContain('no JSON object');
    expect(repairRequest).toContain('The service is down, I think');
  });

  it('sends schema violations back and accepts the repaired answer', async () => {
    const server = await scriptedServer([
      { content: JSON.stringify({ ...validAnalysis, confidence: 7, severity: 'apocalyptic' }) },
      { content: JSON.stringify(validAnalysis) },
    ]);
    const { analyzer } = analyzerFor(routerFor([server]));
    const outcome = await analyzer.analyze(incidentContext());
    expect(outcome.analyzer).toBe('llm');
    const repairText = JSON.stringify(server.requests[1]!.body.messages);
    expect(repairText).toContain('confidence');
    expect(repairText).toContain('severity');
  });

  it('falls back to the rule analyzer after a second invalid answer, recording why', async () => {
    const server = await scriptedServer([{ content: '{"issue_detected": true' }, { content: JSON.stringify({ ...validAnalysis, confidence: 'high' }) }]);
    const { analyzer, fallback } = analyzerFor(routerFor([server]));
    const outcome = await analyzer.analyze(incidentContext());
    expect(outcome.analyzer).toBe('rules');
    expect(fallback.calls).toBe(1);
    expect(outcome.fallback_reason).toMatch(/^llm: invalid_output: .*confidence/);
    expect(outcome.usage?.calls).toBe(2);
    expect(server.requests).toHaveLength(2);
  });

  it('makes the model answer when it keeps calling tools until the step limit', async () => {
    // Like a real server, the scripted model honours tool_choice "none" and otherwise keeps calling tools.
    const server = await scriptedServer((request) =>
      request.body.tool_choice === 'none'
        ? { content: JSON.stringify(validAnalysis) }
        : { tool_calls: [{ name: 'learning_stats', arguments: {} }] },
    );
    const { analyzer } = analyzerFor(routerFor([server]), { ports, maxSteps: 3 });
    const outcome = await analyzer.analyze(incidentContext());
    expect(outcome.fallback_reason).toBeUndefined();
    expect(outcome.analyzer).toBe('llm');
    expect(server.requests[2]!.body.tool_choice).toBe('none');
    expect(server.requests).toHaveLength(3);
  });
});
