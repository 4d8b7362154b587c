import { readFileSync } from 'node:fs';
import { createLanguageModel, createLlmAnalyzer, InMemoryUsageStore, ModelRouter, parseLlmConfig } from '@atb/llm';
import { startScriptedOpenAIServer } from '@atb/testing';
import { describe, expect, it } from 'vitest';
import { RuleAnalyzer } from '../analysis/rule-analyzer.js';
import { defaultRunbooksFile, loadRunbooks } from '../analysis/runbooks.js';
import { oracleReplies } from './oracle-replies.js';
import { formatReport, runEvaluation } from './run-evaluation.js';
import { recordedPorts } from './scenario-context.js';
import { loadScenarios } from './scenario.js';

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
