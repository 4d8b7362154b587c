import { join } from 'node:path';
import type { Analyzer } from '@atb/contracts';
import { createLlmMetrics, createModelRouter, InMemoryUsageStore, KyselyUsageStore, type ModelRouter, type UsageStore } from '@atb/llm';
import { BullMqWorkQueue } from '@atb/queue';
import type { Service } from '@atb/service-kit';
import { createAnalyzer } from '../analysis/create-analyzer.js';
import { createInvestigationPorts } from '../analysis/investigation-ports.js';
import { PrometheusClient } from '../analysis/prometheus-client.js';
import { RuleAnalyzer } from '../analysis/rule-analyzer.js';
import { defaultRunbooksFile, loadRunbooks } from '../analysis/runbooks.js';
import { createAgentMetrics } from '../api/agent-metrics.js';
import { AgentAudit } from '../audit/agent-audit.js';
import { type CatalogSnapshot, startupCatalog } from '../catalog/load-catalog.js';
import { ServiceCatalog } from '../catalog/service-catalog.js';
import type { Config } from '../config.js';
import { AlertIntake } from '../intake/alert-intake.js';
import { ContainerEventIntake } from '../intake/container-events.js';
import { FleetMonitor } from '../monitoring/fleet-monitor.js';
import { openProbeGate, type ProbeGate } from '../monitoring/leadership.js';
import { expireApprovals } from '../policy/approvals.js';
import { defaultOwner, JobWorker } from '../queue/job-worker.js';
import { RelayedJobQueue, relayAttempts } from '../queue/relayed-job-queue.js';
import type { JobQueue } from '../store/job-queue.js';
import { GatewayClient, tokenFromFile } from '../remediation/gateway-client.js';
import { GatewayPolicySource } from '../remediation/gateway-policy.js';
import type { AgentStore } from '../store/agent-store.js';
import type { AgentPorts } from './agent-ports.js';
import { createJobHandlers, failIncidentOfJob } from './job-handlers.js';
import type { AgentStorage } from './open-storage.js';

/** The running agent's parts, for the routes, tests, benchmarks and the CLI's in-process uses. */
export interface DevopsAgentParts {
  store: AgentStore;
  audit: AgentAudit;
  worker: JobWorker;
  /** What the worker runs from: the jobs table, or with `REDIS_URL` BullMQ fed from it. */
  jobs: JobQueue & { close?: () => Promise<void> };
  monitor: FleetMonitor;
  /** Follows the gateway's container events (started by the app when GATEWAY_EVENTS is on). */
  events: ContainerEventIntake;
  /** One poller per service across replicas. */
  probes: ProbeGate;
  intake: AlertIntake;
  ports: AgentPorts;
  /** LLM usage records and the model router (undefined with `LLM_PROVIDER=none`), for `GET /llm/usage`. */
  llm: { usage: UsageStore; router: ModelRouter | undefined };
}

/**
 * With `REDIS_URL` the jobs run from BullMQ, the table staying their transactional outbox;
 * otherwise straight from the table (shared by replicas on PostgreSQL).
 */
async function openJobs(config: Config, store: AgentStore): Promise<DevopsAgentParts['jobs']> {
  if (!config.REDIS_URL) return store.jobs;
  const work = await BullMqWorkQueue.open({
    url: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    queue: 'devops-agent-jobs',
    leaseMs: config.JOB_LEASE_SECONDS * 1000,
    maxAttempts: relayAttempts(config.JOB_MAX_ATTEMPTS),
    backoffMs: 250,
    maxBackoffMs: 30_000,
  });
  return new RelayedJobQueue(store.jobs, work);
}

/** LLM usage is kept in the agent's database when an LLM is configured, so budgets survive restarts. */
async function createLlm(config: Config, service: Service, storage: AgentStorage) {
  const usage = config.LLM_PROVIDER !== 'none' ? await KyselyUsageStore.open(storage.database) : new InMemoryUsageStore();
  const router = createModelRouter(config, { usage, onCall: createLlmMetrics(service.metrics.registry) });
  return { usage, router };
}

/**
 * The composition root: builds each port once — gateway client, Prometheus client, audit,
 * metrics, analyzer — and hands every stage only the ports it declares. Starts nothing.
 */
export async function composeAgent(config: Config, service: Service, storage: AgentStorage, options: { analyzer?: Analyzer; catalog?: CatalogSnapshot } = {}): Promise<DevopsAgentParts> {
  const { store } = storage;
  const logger = service.app.log;
  const runbooks = loadRunbooks(config.RUNBOOKS_FILE ?? defaultRunbooksFile());
  const gateway = new GatewayClient({
    baseUrl: config.AI_COMMAND_GATEWAY_URL,
    sourceId: config.AI_COMMAND_GATEWAY_SOURCE_ID,
    timeoutMs: config.AI_COMMAND_GATEWAY_TIMEOUT * 1000,
    attempts: config.AI_COMMAND_GATEWAY_RETRIES,
    token: config.AI_COMMAND_GATEWAY_TOKEN ?? tokenFromFile(config.AI_COMMAND_GATEWAY_TOKEN_FILE),
  });
  const audit = new AgentAudit(storage.auditLog, logger);
  const catalog = new ServiceCatalog(options.catalog ?? startupCatalog(config), { logger, audit });
  const rules = new RuleAnalyzer(runbooks);
  const llm = await createLlm(config, service, storage);
  const analyzer =
    options.analyzer ?? createAnalyzer(config, { rules, router: llm.router, investigation: createInvestigationPorts(config, store.learning, gateway, catalog), runbooks, logger });
  const owner = config.REPLICA_ID ?? defaultOwner();
  let worker: JobWorker | undefined;
  const ports: AgentPorts = {
    config,
    ...store,
    audit,
    catalog,
    metrics: createAgentMetrics(service.metrics.registry, store),
    analyzer,
    fallbackAnalyzer: rules,
    runbooks,
    gateway,
    gatewayPolicy: new GatewayPolicySource(gateway, { ttlSeconds: config.GATEWAY_POLICY_TTL, timeoutMs: Math.min(5000, config.AI_COMMAND_GATEWAY_TIMEOUT * 1000) }),
    prometheus: config.PROMETHEUS_URL ? new PrometheusClient(config.PROMETHEUS_URL, { cacheTtlSeconds: config.METRICS_CACHE_TTL, timeoutMs: 5000 }) : undefined,
    logger,
    wake: () => worker?.wake(),
  };
  const publicUrl = () => config.PUBLIC_URL ?? `http://127.0.0.1:${config.API_PORT}`;
  const jobs = await openJobs(config, store);
  worker = new JobWorker(jobs, createJobHandlers(ports, publicUrl), logger, {
    concurrency: config.WORKER_CONCURRENCY,
    leaseMs: config.JOB_LEASE_SECONDS * 1000,
    maxAttempts: config.JOB_MAX_ATTEMPTS,
    owner,
    onTick: async () => {
      await expireApprovals(ports);
    },
    onFailed: (job, error) => failIncidentOfJob(ports, job, error),
  });
  const intake = new AlertIntake(store.changes, ports.audit, ports.metrics, { groupBy: config.INCIDENT_GROUP_BY, reopenWindowSeconds: config.INCIDENT_REOPEN_WINDOW }, ports.wake, (alert) =>
    ports.catalog.label(alert),
  );
  const probes = await openProbeGate({
    database: storage.database,
    redisUrl: config.REDIS_URL,
    redisPrefix: config.REDIS_PREFIX,
    leaseMs: config.LEADER_LEASE_SECONDS * 1000,
    owner,
  });
  const monitor = new FleetMonitor(store.incidents, intake, logger, ports.catalog, {
    concurrency: config.MONITORING_CONCURRENCY,
    shouldProbe: (service) => probes.shouldProbe(service),
    recheckDelaySeconds: config.HEALTH_RECHECK_DELAY,
    recheckTimeoutSeconds: config.HEALTH_RECHECK_TIMEOUT,
  });
  const events = new ContainerEventIntake({ gateway, intake, incidents: store.incidents, catalog: ports.catalog, logger }, {
    probeTimeoutMs: config.HEALTH_RECHECK_TIMEOUT * 1000,
    recoveryTimeoutMs: config.VERIFICATION_WINDOW * 1000,
    // A gap in the stream may hide a death: one health check of every polled service covers it.
    onMissed: () => monitor.cycle(),
    positionFile: join(config.DATA_DIR, 'gateway-events-position'),
  });
  return { store, audit: ports.audit, worker, jobs, monitor, events, probes, intake, ports, llm };
}
