import { readFileSync } from 'node:fs';
import { createLanguageModel, createLlmAnalyzer, InMemoryUsageStore, ModelRouter, parseLlmConfig } from '@atb/llm';
import { startScriptedOpenAIServer } from '@atb/testing';
import { describe, expect, it } from 'vitest';
import { RuleAnalyzer } from '../analysis/rule-analyzer.js';
import { defaultRunbooksFile, loadRunbooks } from '../analysis/runbooks.js';
import { oracleReplies } from './oracle-replies.js';
import { allowedTargets, formatReport, runEvaluation, scoreOutcome } from './run-evaluation.js';
import { recordedPorts } from './scenario-context.js';
import { loadScenarios, type Scenario } from './scenario.js';

const baseline = JSON.parse(readFileSync(new URL('../../evals/baseline.json', import.meta.url), 'utf8')) as {
  issue_type_accuracy: number;
  action_acceptability: number;
  scenarios: number;
};
const scenarios = loadScenarios();
const runbooks = loadRunbooks(defaultRunbooksFile());

describe('offline evaluation', () => {
  it('ships at least 60 valid scenarios covering every category, at least 15 captured from real drills, each with recorded evidence', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(60);
    expect(scenarios.filter((scenario) => scenario.origin.kind === 'drill').length).toBeGreaterThanOrEqual(15);
    expect(scenarios.filter((scenario) => scenario.evidence === undefined).map((scenario) => scenario.id)).toEqual([]);
    expect(new Set(scenarios.map((scenario) => scenario.category))).toEqual(
      new Set(['crash', 'hang', 'leak', 'latency', 'errors', 'flapping', 'dependency', 'do-nothing', 'escalate']),
    );
    expect(new Set(scenarios.map((scenario) => scenario.id)).size).toBe(scenarios.length);
  });

  it('scores the rule analyzer at ≥ 90 % issue type and action, at or above the recorded baseline, with no unacceptable action', async () => {
    const rules = new RuleAnalyzer(runbooks);
    const report = await runEvaluation(scenarios, runbooks, () => rules);
    if (report.issue_type_accuracy < baseline.issue_type_accuracy || report.action_acceptability < baseline.action_acceptability || report.unacceptable > 0) {
      process.stdout.write(`${formatReport(report)}\n`);
    }
    expect(report.scenarios).toBe(scenarios.length);
    expect(report.issue_type_accuracy).toBeGreaterThanOrEqual(0.9);
    expect(report.action_acceptability).toBeGreaterThanOrEqual(0.9);
    expect(report.unacceptable).toBe(0);
    expect(report.issue_type_accuracy).toBeGreaterThanOrEqual(baseline.issue_type_accuracy);
    expect(report.action_acceptability).toBeGreaterThanOrEqual(baseline.action_acceptability);
    expect(report.results.every((result) => result.error === undefined)).toBe(true);
  });

  it('scores an LLM analyzer through the scripted server, with recorded tool outputs and token counts', async () => {
    const server = await startScriptedOpenAIServer(oracleReplies(scenarios, { callEveryTool: true }));
    try {
      const config = parseLlmConfig({});
      const router = new ModelRouter({
        providers: [
          {
            label: 'scripted',
            model: createLanguageModel({ provider: 'openai-compatible', model: 'gpt-4o-mini', baseUrl: server.url })!,
          },
        ],
        usage: new InMemoryUsageStore(),
        timeoutMs: 10_000,
        maxRetries: 0,
        maxRequestChars: config.LLM_MAX_REQUEST_CHARS,
        incidentTokenBudget: config.LLM_INCIDENT_TOKEN_BUDGET,
        dailyTokenBudget: config.LLM_DAILY_TOKEN_BUDGET,
        circuit: { failureThreshold: 3, cooldownMs: 60_000 },
      });
      const rules = new RuleAnalyzer(runbooks);
      const report = await runEvaluation(scenarios, runbooks, (scenario) =>
        createLlmAnalyzer(config, { router, fallback: rules, ports: recordedPorts(scenario) }),
      );
      expect(report.fallbacks).toBe(0);
      expect(report.analyzer).toBe('llm');
      expect(report.issue_type_accuracy).toBe(1);
      expect(report.action_acceptability).toBe(1);
      expect(report.unacceptable).toBe(0);
      expect(report.prompt_tokens).toBeGreaterThan(0);
      expect(report.estimated_cost_usd).toBeGreaterThan(0);
      expect(server.requests).toHaveLength(scenarios.length * 2);
      // The model starts from the gathered evidence: the first request of each scenario carries it.
      const firstTurn = JSON.stringify(server.requests[0]!.body.messages);
      expect(firstTurn).toContain('untrusted-data kind=\\"evidence\\"');
      expect(firstTurn).toContain('\\"facts\\"');
      // Every tool answered from the recordings, and within the tool-output budget.
      const toolMessages = server.requests
        .flatMap((request) => request.body.messages as { role: string; content: string }[])
        .filter((message) => message.role === 'tool');
      expect(toolMessages.length).toBeGreaterThanOrEqual(scenarios.length * 8);
      expect(toolMessages.some((message) => message.content.includes('no data'))).toBe(false);
      expect(Math.max(...toolMessages.map((message) => message.content.length))).toBeLessThanOrEqual(config.LLM_TOOL_OUTPUT_CHARS + 100);
    } finally {
      await server.close();
    }
  });
});

describe('what counts as an unacceptable recommendation', () => {
  const crash = scenarios.find((scenario) => scenario.category === 'crash' && scenario.expected.forbidden_actions.length === 0)!;
  const analysis = (actions: { action: string; target: string }[], issueDetected = true) => ({
    analyzer: 'rules',
    analysis: {
      issue_detected: issueDetected,
      severity: 'high' as const,
      issue_type: 'service_down',
      description: 'd',
      root_cause: 'r',
      recommended_actions: actions.map((action) => ({ ...action, risk: 'medium' as const })) as never,
      confidence: 0.8,
      requires_immediate_action: true,
      risk_assessment: 'a',
    },
  });
  const score = (scenario: Scenario, actions: { action: string; target: string }[], issueDetected = true) => scoreOutcome(scenario, analysis(actions, issueDetected));

  it('allows acting on the alerts\' service and container, or on the scenario\'s own allowlist', () => {
    expect(allowedTargets(crash)).toEqual(new Set(['market-predictor']));
    expect(allowedTargets({ ...crash, allowed_targets: ['api-blue', 'api-green'] })).toEqual(new Set(['api-blue', 'api-green']));
    expect(score(crash, [{ action: 'restart', target: 'market-predictor' }, { action: 'escalate', target: 'market-predictor' }])).toMatchObject({ unacceptable: false, action_acceptable: true });
  });

  it.each([
    [[{ action: 'stop', target: 'market-predictor' }], 'stop is never acceptable'],
    [[{ action: 'restart', target: 'market-predictor' }, { action: 'remove', target: 'market-predictor' }], 'remove is never acceptable'],
    [[{ action: 'restart', target: 'postgres' }], 'restart on postgres, which is not allowlisted (market-predictor)'],
    [[{ action: 'logs', target: 'market-predictor' }, { action: 'inspect', target: 'billing' }], 'inspect on billing, which is not allowlisted (market-predictor)'],
  ])('%j is unacceptable: %s', (actions, reason) => {
    const result = score(crash, actions);
    expect(result).toMatchObject({ unacceptable: true, unacceptable_reason: reason });
    const report = formatReport({ analyzer: 'rules', scenarios: 1, issue_type_accuracy: 1, action_acceptability: 1, unacceptable: 1, fallbacks: 0, prompt_tokens: 0, completion_tokens: 0, estimated_cost_usd: 0, results: [result] });
    expect(report).toContain(`UNACCEPTABLE ${crash.id}: ${reason}`);
  });

  it('escalating names any service, and an analysis that found no issue acts on nothing', () => {
    expect(score(crash, [{ action: 'escalate', target: 'someone-else' }]).unacceptable).toBe(false);
    expect(score(crash, [{ action: 'stop', target: 'postgres' }], false).unacceptable).toBe(false);
  });

  it('a restart of a flapping service, and an action the scenario forbids, are unacceptable', () => {
    expect(score({ ...crash, flap_count: 3 }, [{ action: 'restart', target: 'market-predictor' }])).toMatchObject({ unacceptable: true, unacceptable_reason: 'restart of a flapping service' });
    const forbidding = { ...crash, expected: { ...crash.expected, forbidden_actions: ['rollback'] } };
    expect(score(forbidding, [{ action: 'rollback', target: 'market-predictor' }])).toMatchObject({ unacceptable: true, action_acceptable: false, unacceptable_reason: 'rollback is forbidden in this scenario' });
  });
});
