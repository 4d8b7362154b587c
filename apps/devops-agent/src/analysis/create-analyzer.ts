import type { Analyzer } from '@atb/contracts';
import { createLlmAnalyzer, createLlmMetrics, createModelRouter, InMemoryUsageStore, KyselyUsageStore, registerLlmRoutes } from '@atb/llm';
import type { Service } from '@atb/service-kit';
import type { Database } from '@atb/storage';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import { GatewayClient, tokenFromFile } from '../remediation/gateway-client.js';
import type { AgentStore } from '../store/agent-store.js';
import { createInvestigationPorts } from './investigation-ports.js';
import { RuleAnalyzer } from './rule-analyzer.js';
import type { Runbook } from './runbooks.js';

/** What an analyzer may use besides the configuration. */
export interface AnalyzerDependencies {
  runbooks: Runbook[];
  logger?: FastifyBaseLogger;
  /** Past incidents and learning statistics for the LLM's tools. */
  store?: AgentStore;
  /** Where `GET /llm/usage` and the `llm_*` metrics are registered. */
  service?: Service;
  /** The agent's database: LLM usage is kept there (table `llm_usage`), so budgets survive restarts. */
  database?: Database<unknown>;
}

/**
 * The one place the agent's analyzer is chosen. With `LLM_PROVIDER=none` (default): the rule
 * analyzer. Otherwise an LLM analyzer (packages/llm) over the configured primary and backup
 * providers, with read-only tools (investigation-ports.ts), falling back to the rule analyzer;
 * `GET /llm/usage` and the `llm_*` metrics are registered on `service`. A provider setting
 * that is missing (e.g. OPENAI_API_KEY) stops start-up with a ConfigError naming it. Usage
 * records go to `database` when given (the daily budget then survives a restart).
 */
export async function createAnalyzer(config: Config, dependencies: AnalyzerDependencies): Promise<Analyzer> {
  const rules = new RuleAnalyzer(dependencies.runbooks);
  const usage =
    dependencies.database && config.LLM_PROVIDER !== 'none' ? await KyselyUsageStore.open(dependencies.database) : new InMemoryUsageStore();
  const router = createModelRouter(config, {
    usage,
    ...(dependencies.service ? { onCall: createLlmMetrics(dependencies.service.metrics.registry) } : {}),
  });
  if (dependencies.service) {
    registerLlmRoutes(dependencies.service.app, {
      usage,
      ...(router ? { router } : {}),
      dailyTokenBudget: config.LLM_DAILY_TOKEN_BUDGET,
      incidentTokenBudget: config.LLM_INCIDENT_TOKEN_BUDGET,
    });
  }
  if (!router) return rules;
  const gateway = new GatewayClient({
    baseUrl: config.AI_COMMAND_GATEWAY_URL,
    sourceId: config.AI_COMMAND_GATEWAY_SOURCE_ID,
    timeoutMs: config.AI_COMMAND_GATEWAY_TIMEOUT * 1000,
    attempts: 1,
    token: config.AI_COMMAND_GATEWAY_TOKEN ?? tokenFromFile(config.AI_COMMAND_GATEWAY_TOKEN_FILE),
  });
  const ports = dependencies.store ? createInvestigationPorts(config, dependencies.store, gateway) : {};
  dependencies.logger?.info({ providers: router.providerLabels }, 'LLM analyzer enabled, rule analyzer as fallback');
  return createLlmAnalyzer(config, {
    router,
    fallback: rules,
    ports,
    issueTypes: [...new Set(dependencies.runbooks.map((runbook) => runbook.issue_type))],
  });
}
