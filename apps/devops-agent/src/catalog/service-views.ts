import type { CatalogEntryView, ServiceDetail, ServiceMonitoringState, ServiceSummary } from '@atb/contracts';
import { learningStats } from '../learning/learning-stats.js';
import type { AgentStore } from '../store/agent-store.js';
import type { ServiceEntry } from './catalog-schema.js';

/** A catalog entry as the API shows it. */
export function entryView(entry: ServiceEntry): CatalogEntryView {
  return {
    name: entry.name,
    alerts: entry.alerts,
    health: entry.health ? { ...entry.health, expected_status: entry.health.expected_status ?? null } : null,
    target: { container: entry.target.container ?? null, labels: entry.target.labels ?? null },
    owners: entry.owners,
    escalation_channel: entry.escalation_channel ?? null,
    repository: entry.repository ?? null,
    runbooks: entry.runbooks.map((runbook) => runbook.name),
    autonomous: entry.autonomous,
  };
}

const OPEN_LIMIT = 1000;

/** An entry with its health and the number of its open incidents. */
export async function serviceSummary(store: Pick<AgentStore, 'incidents'>, entry: ServiceEntry, monitoring: ServiceMonitoringState | undefined): Promise<ServiceSummary> {
  const open = await store.incidents.list({ service: entry.name, active: true, limit: OPEN_LIMIT });
  return { ...entryView(entry), monitoring: monitoring ?? null, open_incidents: open.length };
}

/** One service at a glance: its open incidents, last 20 actions, learning statistics and health. */
export async function serviceDetail(store: Pick<AgentStore, 'incidents' | 'actions' | 'learning'>, entry: ServiceEntry, monitoring: ServiceMonitoringState | undefined): Promise<ServiceDetail> {
  const [incidents, actions, learning] = await Promise.all([
    store.incidents.list({ service: entry.name, active: true, limit: 100 }),
    store.actions.list({ service: entry.name, limit: 20 }),
    learningStats(store.learning, { service: entry.name }),
  ]);
  const open = incidents.length < 100 ? incidents.length : (await store.incidents.list({ service: entry.name, active: true, limit: OPEN_LIMIT })).length;
  return { ...entryView(entry), monitoring: monitoring ?? null, open_incidents: open, incidents, last_actions: actions, learning };
}

/** Reads the catalog's services with their polling state and incidents (the services routes and the dashboard). */
export interface ServiceReader {
  list(): Promise<ServiceSummary[]>;
  /** Undefined: no such service in the catalog. */
  get(name: string): Promise<ServiceDetail | undefined>;
}

export function createServiceReader(
  catalog: { list(): readonly ServiceEntry[]; get(name: string): ServiceEntry | undefined },
  monitor: { status(): { services: ServiceMonitoringState[] } },
  store: Pick<AgentStore, 'incidents' | 'actions' | 'learning'>,
): ServiceReader {
  const healthOf = () => new Map(monitor.status().services.map((state) => [state.name, state]));
  return {
    list: () => {
      const health = healthOf();
      return Promise.all(catalog.list().map((entry) => serviceSummary(store, entry, health.get(entry.name))));
    },
    get: async (name) => {
      const entry = catalog.get(name);
      return entry ? serviceDetail(store, entry, healthOf().get(name)) : undefined;
    },
  };
}
