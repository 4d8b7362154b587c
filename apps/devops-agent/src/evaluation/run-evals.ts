/**
 * Offline evaluation CLI: scores an analyzer on the scenario set and prints a table.
 *
 *   npx tsx apps/devops-agent/src/evaluation/run-evals.ts [--analyzer rules|llm] [--scenarios <dir>] [--json]
 *
 * `--analyzer llm` reads the LLM_* settings from the environment (packages/llm/README.md) and
 * answers tool calls from each scenario's recordings; without a provider it exits with a message.
 */
import { parseArgs } from 'node:util';
import { createLlmAnalyzer, createModelRouter, llmConfigShape } from '@atb/llm';
import { loadConfig, processEnvironment } from '@atb/service-kit';
import { z } from 'zod';
import { RuleAnalyzer } from '../analysis/rule-analyzer.js';
import { defaultRunbooksFile, loadRunbooks } from '../analysis/runbooks.js';
import { formatReport, runEvaluation } from './run-evaluation.js';
import { recordedPorts } from './scenario-context.js';
import { defaultScenarioDirectory, loadScenarios } from './scenario.js';

const { values } = parseArgs({
  options: {
    analyzer: { type: 'string', default: 'rules' },
    scenarios: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
if (values.analyzer !== 'rules' && values.analyzer !== 'llm') {
  process.stderr.write(`--analyzer: expected rules or llm, got "${values.analyzer}"\n`);
  process.exit(2);
}
const runbooks = loadRunbooks(defaultRunbooksFile());
const scenarios = loadScenarios(values.scenarios ?? defaultScenarioDirectory());
const rules = new RuleAnalyzer(runbooks);
let analyzerFor = (_scenario: (typeof scenarios)[number]) => rules as import('@atb/contracts').Analyzer;
if (values.analyzer === 'llm') {
  const config = loadConfig(z.object(llmConfigShape), processEnvironment());
  const router = createModelRouter(config);
  if (!router) {
    process.stderr.write('--analyzer llm needs LLM_PROVIDER (openai | anthropic | openai-compatible) and its key or LLM_BASE_URL\n');
    process.exit(2);
  }
  const issueTypes = [...new Set(runbooks.map((runbook) => runbook.issue_type))];
  analyzerFor = (scenario) => createLlmAnalyzer(config, { router, fallback: rules, ports: recordedPorts(scenario), issueTypes });
}
const report = await runEvaluation(scenarios, runbooks, analyzerFor);
process.stdout.write(`${values.json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
