import type { Analyzer } from '@atb/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { AgentMetrics } from './api/agent-metrics.js';
import type { PrometheusClient } from './analysis/prometheus-client.js';
import type { Runbook } from './analysis/runbooks.js';
import type { AgentAudit } from './audit/agent-audit.js';
import type { Config } from './config.js';
import type { GatewayClient } from './remediation/gateway-client.js';
import type { AgentStore } from './store/agent-store.js';

/** What the agent's steps share; built once in app.ts. */
export interface AgentDependencies {
  config: Config;
  store: AgentStore;
  audit: AgentAudit;
  metrics: AgentMetrics;
  analyzer: Analyzer;
  /** The rule analyzer, used when the configured analyzer fails. */
  fallbackAnalyzer: Analyzer;
  runbooks: Runbook[];
  gateway: GatewayClient;
  prometheus: PrometheusClient | undefined;
  logger: FastifyBaseLogger;
  /** Wakes the job worker after something was enqueued. */
  wake(): void;
}
