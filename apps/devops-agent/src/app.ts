import { join } from 'node:path';
import { type Analyzer, PRODUCT_VERSION } from '@atb/contracts';
import { createService, type HealthReport, type Service } from '@atb/service-kit';
import { KyselyAuditLog, openDatabase } from '@atb/storage';
import type { LoggerOptions } from 'pino';
import type { AgentDependencies } from './agent-dependencies.js';
import { analyzeIncident } from './analysis/analyze-incident.js';
import { createAnalyzer } from './analysis/create-analyzer.js';
import { PrometheusClient } from './analysis/prometheus-client.js';
import { RuleAnalyzer } from './analysis/rule-analyzer.js';
import { defaultRunbooksFile, loadRunbooks } from './analysis/runbooks.js';
import { createAgentMetrics } from './api/agent-metrics.js';
import { registerActionRoutes } from './api/action-routes.js';
import { registerAuditRoutes } from './api/audit-routes.js';
import { registerIncidentRoutes } from './api/incident-routes.js';
import { registerLearningRoutes } from './api/learning-routes.js';
import { registerMonitoringRoutes } from './api/monitoring-routes.js';
import { resolveApiToken } from './auth/api-token.js';
import { requireBearerToken } from './auth/bearer-hook.js';
import { AgentAudit } from './audit/agent-audit.js';
import { registerDashboard } from './dashboard/dashboard-routes.js';
import type { Config } from './config.js';
import { pollCodingTask, submitCodingTask } from './escalation/coding-tasks.js';
import { notifyEscalation } from './escalation/escalation-notifier.js';
import { reconcileIncident } from './incidents/reconcile-incident.js';
import { AlertIntake } from './intake/alert-intake.js';
import { registerWebhookRoute } from './intake/webhook-route.js';
import { HealthMonitor } from './monitoring/health-monitor.js';
import { openCircuits } from './policy/action-policy.js';
import { expireApprovals } from './policy/approvals.js';
import { decideNextAction } from './policy/decide-next-action.js';
import { JobWorker } from './queue/job-worker.js';
import { executeAction } from './remediation/execute-action.js';
import { GatewayClient, tokenFromFile } from './remediation/gateway-client.js';
import { ACTIVE_STATES, type AgentStore } from './store/agent-store.js';
import { openAgentStore } from './store/kysely-agent-store.js';
import { verifyAction } from './verification/verify-action.js';

export interface BuildOptions {
  logger?: LoggerOptions | false;
  /** Replaces the configured analyzer (tests of the analyzer seam). */
  analyzer?: Analyzer;
}

/** The running agent's parts, for tests, benchmarks and the CLI's in-process uses. */
export interface DevopsAgentParts {
  store: AgentStore;
  audit: AgentAudit;
  worker: JobWorker;
  monitor: HealthMonitor;
  intake: AlertIntake;
  dependencies: AgentDependencies;
}

export type DevopsAgentService = Service & { agent: DevopsAgentParts };

const str = (value: unknown): string => String(value);

/** Builds the devops-agent from its configuration: storage, worker, intake, monitoring and the HTTP API. */
export async function buildDevopsAgent(config: Config, options: BuildOptions = {}): Promise<DevopsAgentService> {
  // First: with ENVIRONMENT=production and no AGENT_API_TOKEN this throws before anything opens.
  const apiToken = resolveApiToken({ configured: config.AGENT_API_TOKEN, environment: config.ENVIRONMENT, dataDirectory: config.DATA_DIR });
  const databaseUrl = config.DATABASE_URL ?? join(config.DATA_DIR, 'devops-agent.sqlite');
  const database = openDatabase<unknown>(databaseUrl, { schema: config.DATABASE_SCHEMA });
  let store: AgentStore;
  let auditLog: KyselyAuditLog;
  try {
    auditLog = await KyselyAuditLog.open(database);
    store = await openAgentStore(database, { audit: auditLog });
  } catch (error) {
    await database.close();
    throw error;
  }
  const runbooks = loadRunbooks(config.RUNBOOKS_FILE ?? defaultRunbooksFile());

  let worker: JobWorker | undefined;
  let monitor: HealthMonitor | undefined;
  const service = await createService({
    name: 'devops-agent',
    version: PRODUCT_VERSION,
    description:
      'Alert intake, incidents, analysis, policy and approvals, remediation through the command gateway, verification, learning, escalation, audit.',
    config,
    quietRoutes: ['/health', '/metrics', '/status', '/webhook/alerts'],
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    health: async (): Promise<HealthReport> => {
      try {
        await store.jobs.countByStatus();
      } catch (error) {
        return { status: 'unhealthy', checks: { database: { status: 'unhealthy', message: str(error) } } };
      }
      return {
        status: 'healthy',
        checks: {
          database: { status: 'healthy', dialect: database.dialect },
          worker: worker?.active ? { status: 'healthy' } : { status: 'degraded', message: 'job worker stopped' },
        },
        monitoring_active: monitor?.running ?? false,
        safety_mode: config.SAFETY_MODE,
      };
    },
    status: async () => {
      const [incidents, actions, jobs, circuits] = await Promise.all([
        store.incidents.countByState(),
        store.actions.countByStatus(),
        store.jobs.countByStatus(),
        openCircuits(store, config),
      ]);
      return {
        safety_mode: config.SAFETY_MODE,
        analyzer: dependencies.analyzer.name,
        monitoring: { active: monitor?.running ?? false, target_url: config.MARKET_PREDICTOR_URL, interval_seconds: config.MONITORING_INTERVAL },
        incidents,
        actions,
        pending_approvals: actions.pending ?? 0,
        open_circuits: circuits,
        queue: jobs,
        database: { dialect: database.dialect, location: database.location },
        gateway_url: config.AI_COMMAND_GATEWAY_URL,
      };
    },
  });
  const logger = service.app.log;
  if (apiToken.origin === 'generated') logger.info({ file: apiToken.file }, 'generated an API token');
  requireBearerToken(service.app, apiToken.token, { reads: config.AGENT_API_READ_AUTH });
  const metrics = createAgentMetrics(service.metrics.registry, store);
  const audit = new AgentAudit(auditLog, logger);
  const fallbackAnalyzer = new RuleAnalyzer(runbooks);
  const dependencies: AgentDependencies = {
    config,
    store,
    audit,
    metrics,
    analyzer: options.analyzer ?? (await createAnalyzer(config, { runbooks, logger, store, service, database })),
    fallbackAnalyzer,
    runbooks,
    gateway: new GatewayClient({
      baseUrl: config.AI_COMMAND_GATEWAY_URL,
      sourceId: config.AI_COMMAND_GATEWAY_SOURCE_ID,
      timeoutMs: config.AI_COMMAND_GATEWAY_TIMEOUT * 1000,
      attempts: config.AI_COMMAND_GATEWAY_RETRIES,
      token: config.AI_COMMAND_GATEWAY_TOKEN ?? tokenFromFile(config.AI_COMMAND_GATEWAY_TOKEN_FILE),
    }),
    prometheus: config.PROMETHEUS_URL
      ? new PrometheusClient(config.PROMETHEUS_URL, { cacheTtlSeconds: config.METRICS_CACHE_TTL, timeoutMs: 5000 })
      : undefined,
    logger,
    wake: () => worker?.wake(),
  };
  const publicUrl = () => config.PUBLIC_URL ?? `http://127.0.0.1:${config.API_PORT}`;
  const incidentOf = (payload: Record<string, unknown>) => str(payload.incident_id);
  worker = new JobWorker(
    store,
    {
      analyze: async (job) => {
        const known = await analyzeIncident(dependencies, incidentOf(job.payload));
        if (known) await decideNextAction(dependencies, incidentOf(job.payload), { completeJob: job.id, known });
      },
      decide: (job) => decideNextAction(dependencies, incidentOf(job.payload), { completeJob: job.id }),
      'execute-action': (job) => executeAction(dependencies, str(job.payload.action_id), job.id),
      'verify-action': (job) =>
        verifyAction(dependencies, { action_id: str(job.payload.action_id), deadline: str(job.payload.deadline) }, job.id),
      reconcile: (job) => reconcileIncident(dependencies, incidentOf(job.payload), job.id),
      'notify-escalation': (job) =>
        notifyEscalation(dependencies, { incident_id: incidentOf(job.payload), reason: str(job.payload.reason) }, publicUrl()),
      'submit-coding-task': (job) => submitCodingTask(dependencies, incidentOf(job.payload), job.id),
      'poll-coding-task': (job) => pollCodingTask(dependencies, incidentOf(job.payload), job.id),
    },
    logger,
    {
      concurrency: config.WORKER_CONCURRENCY,
      onTick: async () => {
        await expireApprovals(dependencies);
      },
      onFailed: async (job, error) => {
        // A step of an incident failed for good: the incident is `failed`, for humans to take over.
        const incidentId =
          typeof job.payload.incident_id === 'string'
            ? job.payload.incident_id
            : typeof job.payload.action_id === 'string'
              ? (await store.actions.get(job.payload.action_id))?.incident_id
              : undefined;
        if (!incidentId) return;
        const reason = `${job.type} failed after ${job.attempts + 1} attempts: ${error instanceof Error ? error.message : String(error)}`.slice(0, 1000);
        await store.changes.commit({
          incident: { id: incidentId, patch: { state: 'failed', escalation_reason: reason }, expectStates: ACTIVE_STATES },
          events: [{ incident_id: incidentId, type: 'incident-failed', data: { job: job.type, reason } }],
          jobs: [{ type: 'notify-escalation', payload: { incident_id: incidentId, reason } }],
          audit: [audit.entry('incident-failed', incidentId, { job: job.type, reason })],
        });
      },
    },
  );
  const intake = new AlertIntake(
    store.changes,
    audit,
    metrics,
    { groupBy: config.INCIDENT_GROUP_BY, reopenWindowSeconds: config.INCIDENT_REOPEN_WINDOW },
    () => worker?.wake(),
  );
  monitor = new HealthMonitor(store, intake, logger, {
    targetUrl: config.MARKET_PREDICTOR_URL,
    service: config.MONITORED_SERVICE,
    intervalSeconds: config.MONITORING_INTERVAL,
    timeoutSeconds: config.HEALTH_CHECK_TIMEOUT,
    slowThresholdMs: config.SLOW_RESPONSE_THRESHOLD_MS,
  });

  registerWebhookRoute(service.app, intake, {
    credentials: { username: config.WEBHOOK_USERNAME, password: config.WEBHOOK_PASSWORD, bearerToken: config.WEBHOOK_BEARER_TOKEN },
    bodyLimit: config.WEBHOOK_BODY_LIMIT,
  });
  registerIncidentRoutes(service.app, store);
  registerActionRoutes(service.app, dependencies, { principal: apiToken.principal });
  registerLearningRoutes(service.app, store);
  registerAuditRoutes(service.app, auditLog);
  registerMonitoringRoutes(service.app, monitor);
  registerDashboard(service.app, { store, auditLog });

  const activeWorker = worker;
  const activeMonitor = monitor;
  service.onClose(async () => {
    await activeMonitor.stop();
    await activeWorker.stop();
    await database.close();
  });
  await worker.start();
  if (config.MONITORING_AUTOSTART) monitor.start();
  return Object.assign(service, { agent: { store, audit, worker, monitor, intake, dependencies } });
}
