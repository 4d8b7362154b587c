import type { Analyzer } from '@atb/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { PrometheusClient } from '../analysis/prometheus-client.js';
import type { Runbook } from '../analysis/runbooks.js';
import type { AgentMetrics } from '../api/agent-metrics.js';
import type { AgentAudit } from '../audit/agent-audit.js';
import type { ServiceCatalog } from '../catalog/service-catalog.js';
import type { Config } from '../config.js';
import type { GatewayClient } from '../remediation/gateway-client.js';
import type { GatewayPolicySource } from '../remediation/gateway-policy.js';
import type { ActionStore } from '../store/action-store.js';
import type { IncidentStore } from '../store/incident-store.js';
import type { JobQueue } from '../store/job-queue.js';
import type { LearningStore } from '../store/learning-store.js';
import type { UnitOfWork } from '../store/unit-of-work.js';

/**
 * Every port a stage of the agent may be given, built once by the composition root
 * (compose-agent.ts). A stage never takes all of them: it declares the few it uses as a `Pick`
 * of this vocabulary (e.g. `ExecuteActionPorts`), and tests can hand it exactly those.
 */
export interface AgentPorts {
  config: Config;
  incidents: IncidentStore;
  actions: ActionStore;
  jobs: JobQueue;
  learning: LearningStore;
  /** Atomic change sets (with their jobs and audit records). */
  changes: UnitOfWork;
  audit: AgentAudit;
  metrics: AgentMetrics;
  analyzer: Analyzer;
  /** The rule analyzer, used when the configured analyzer fails. */
  fallbackAnalyzer: Analyzer;
  runbooks: Runbook[];
  /** The services watched and healed (SERVICES_FILE, reloaded on change). */
  catalog: ServiceCatalog;
  gateway: GatewayClient;
  /** The gateway's effective policy for this agent (GET /policy, cached). */
  gatewayPolicy: GatewayPolicySource;
  prometheus: PrometheusClient | undefined;
  logger: FastifyBaseLogger;
  /** Wakes the job worker after something was enqueued. */
  wake(): void;
}
