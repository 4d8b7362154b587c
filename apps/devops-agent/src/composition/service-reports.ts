import type { HealthReport } from '@atb/service-kit';
import type { Config } from '../config.js';
import { openCircuits } from '../policy/action-policy.js';
import type { DevopsAgentParts } from './compose-agent.js';
import type { AgentStorage } from './open-storage.js';

/** `GET /health`: the database answers, the worker runs; monitoring and safety mode for humans. */
export async function agentHealth(config: Config, storage: AgentStorage, parts: DevopsAgentParts | undefined): Promise<HealthReport> {
  try {
    await storage.store.jobs.countByStatus();
  } catch (error) {
    return { status: 'unhealthy', checks: { database: { status: 'unhealthy', message: String(error) } } };
  }
  return {
    status: 'healthy',
    checks: {
      database: { status: 'healthy', dialect: storage.database.dialect },
      worker: parts?.worker.active ? { status: 'healthy' } : { status: 'degraded', message: 'job worker stopped' },
    },
    monitoring_active: parts?.monitor.running ?? false,
    safety_mode: config.SAFETY_MODE,
  };
}

/** Whether polling runs, and where: the first catalog service's URL and interval, and every service's name. */
function monitoringSummary(config: Config, parts: DevopsAgentParts | undefined) {
  const status = parts?.monitor.status();
  return {
    active: parts?.monitor.running ?? false,
    leading: status?.leading ?? false,
    target_url: status?.target_url || config.MARKET_PREDICTOR_URL,
    interval_seconds: status?.interval_seconds || config.MONITORING_INTERVAL,
    services: parts?.monitor.names() ?? [],
  };
}

/** `GET /status`: counts by state, open circuits, queue, database and gateway. */
export async function agentStatus(config: Config, storage: AgentStorage, parts: DevopsAgentParts | undefined) {
  const { store, database } = storage;
  const [incidents, actions, jobs, deadLetters, circuits] = await Promise.all([
    store.incidents.countByState(),
    store.actions.countByStatus(),
    (parts?.jobs ?? store.jobs).countByStatus(),
    (parts?.jobs ?? store.jobs).listDead(20),
    openCircuits(store.actions, config),
  ]);
  return {
    safety_mode: config.SAFETY_MODE,
    analyzer: parts?.ports.analyzer.name,
    monitoring: monitoringSummary(config, parts),
    catalog: parts?.ports.catalog.state() ?? null,
    incidents,
    actions,
    pending_approvals: actions.pending ?? 0,
    open_circuits: circuits,
    queue: jobs,
    queue_backend: config.REDIS_URL ? 'bullmq' : 'database',
    dead_letters: deadLetters,
    replica: parts?.worker.owner,
    database: { dialect: database.dialect, location: database.location },
    gateway_url: config.AI_COMMAND_GATEWAY_URL,
    container_events: parts?.events.status() ?? { enabled: false },
  };
}
