/**
 * Benchmark: prompt tokens per LLM investigation over the offline scenario set, with the
 * tool-output budget on (LLM_TOOL_OUTPUT_CHARS, default 3000) and off, in one run.
 *
 *   npx tsx --conditions=@atb/source bench/llm/tokens.ts [--budget 3000]
 *
 * The model is the scripted OpenAI-compatible server playing an "oracle" that calls every
 * offered tool once (8 tools: PromQL, LogQL, container logs/inspect/stats, health, past
 * incidents, learning) and then answers — the worst case for context size. Tokens are what the
 * server reports as usage: its estimator counts 4 characters of the request's messages and
 * tool definitions per token (the common rule of thumb for English text and JSON with
 * OpenAI/Anthropic tokenizers; real counts differ by ±20%). Goal: ≤ 8,000 prompt tokens per
 * investigation with the budget on.
 */
import { parseArgs } from 'node:util';
import { parseLlmConfig } from '../../packages/llm/src/config.js';
import { createLanguageModel } from '../../packages/llm/src/provider.js';
import { LlmAnalyzer } from '../../packages/llm/src/llm-analyzer.js';
import { ModelRouter } from '../../packages/llm/src/model-router.js';
import { InMemoryUsageStore } from '../../packages/llm/src/usage-store.js';
import { startScriptedOpenAIServer } from '../../packages/testing/src/scripted-openai-server.js';
import { RuleAnalyzer } from '../../apps/devops-agent/src/analysis/rule-analyzer.js';
import { defaultRunbooksFile, loadRunbooks } from '../../apps/devops-agent/src/analysis/runbooks.js';
import { oracleReplies } from '../../apps/devops-agent/src/evaluation/oracle-replies.js';
import { runEvaluation } from '../../apps/devops-agent/src/evaluation/run-evaluation.js';
import { recordedPorts } from '../../apps/devops-agent/src/evaluation/scenario-context.js';
import { loadScenarios } from '../../apps/devops-agent/src/evaluation/scenario.js';

const GOAL_PROMPT_TOKENS = 8_000;
const { values } = parseArgs({ options: { budget: { type: 'string', default: String(parseLlmConfig({}).LLM_TOOL_OUTPUT_CHARS) } } });
const budget = Number(values.budget);

const scenarios = loadScenarios();
const runbooks = loadRunbooks(defaultRunbooksFile());
const rules = new RuleAnalyzer(runbooks);

async function measure(toolOutputChars: number | undefined) {
  const server = await startScriptedOpenAIServer(oracleReplies(scenarios, { callEveryTool: true }));
  try {
    const router = new ModelRouter({
      providers: [{ label: 'scripted', model: createLanguageModel({ provider: 'openai-compatible', model: 'gpt-4o-mini', baseUrl: server.url })! }],
      usage: new InMemoryUsageStore(),
      timeoutMs: 30_000,
      maxRetries: 0,
      maxRequestChars: Number.MAX_SAFE_INTEGER,
      incidentTokenBudget: Number.MAX_SAFE_INTEGER,
      dailyTokenBudget: Number.MAX_SAFE_INTEGER,
      circuit: { failureThreshold: 100, cooldownMs: 1 },
    });
    const report = await runEvaluation(scenarios, runbooks, (scenario) =>
      new LlmAnalyzer({ router, fallback: rules, ports: recordedPorts(scenario), maxSteps: 8, toolOutputChars, temperature: 0.1, maxOutputTokens: 4000 }),
    );
    const perInvestigation = report.results.map((result) => result.prompt_tokens).sort((left, right) => left - right);
    const percentile = (share: number) => perInvestigation[Math.min(perInvestigation.length - 1, Math.floor(share * perInvestigation.length))]!;
    return {
      investigations: report.scenarios,
      fallbacks: report.fallbacks,
      mean: Math.round(report.prompt_tokens / report.scenarios),
      p50: percentile(0.5),
      p90: percentile(0.9),
      max: perInvestigation.at(-1)!,
      cost: report.estimated_cost_usd,
    };
  } finally {
    await server.close();
  }
}

const on = await measure(budget);
const off = await measure(undefined);
const row = (label: string, figures: Awaited<ReturnType<typeof measure>>) =>
  `${label.padEnd(28)} ${String(figures.mean).padStart(7)} ${String(figures.p50).padStart(7)} ${String(figures.p90).padStart(7)} ${String(figures.max).padStart(7)}   $${figures.cost.toFixed(4)} (gpt-4o-mini prices)`;
process.stdout.write(
  [
    `prompt tokens per investigation, ${on.investigations} scenarios, every tool called once (estimator: 4 chars/token)`,
    `${'tool-output budget'.padEnd(28)} ${'mean'.padStart(7)} ${'p50'.padStart(7)} ${'p90'.padStart(7)} ${'max'.padStart(7)}   cost of the set`,
    row(`on (${budget} chars/tool)`, on),
    row('off (raw tool output)', off),
    `reduction of the mean: ${(100 * (1 - on.mean / off.mean)).toFixed(1)}%; goal max ≤ ${GOAL_PROMPT_TOKENS} with the budget on: ${on.max <= GOAL_PROMPT_TOKENS ? 'MET' : 'NOT MET'}`,
    `fallbacks: on ${on.fallbacks}, off ${off.fallbacks}`,
    '',
  ].join('\n'),
);
