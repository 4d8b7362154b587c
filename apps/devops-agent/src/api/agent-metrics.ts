import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AgentStore } from '../store/agent-store.js';
import { INCIDENT_STATES } from '../store/agent-store.js';

/** The agent's own Prometheus metrics, registered on the service's registry. */
export interface AgentMetrics {
  alertsReceived: Counter<'status' | 'outcome'>;
  actionsFinished: Counter<'operation' | 'outcome'>;
  decisionLatency: Histogram<'decided_by'>;
  timeToRecovery: Histogram<'alertname'>;
}

export function createAgentMetrics(registry: Registry, store: Pick<AgentStore, 'incidents' | 'actions'>): AgentMetrics {
  const alertsReceived = new Counter({
    name: 'devops_agent_alerts_received_total',
    help: 'Alerts received (webhook and polling), by status and what intake did with them.',
    labelNames: ['status', 'outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'devops_agent_incidents',
    help: 'Incidents by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await store.incidents.countByState();
      for (const state of INCIDENT_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'devops_agent_actions',
    help: 'Actions by status.',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await store.actions.countByStatus();
      this.reset();
      for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
    },
  });
  const actionsFinished = new Counter({
    name: 'devops_agent_actions_finished_total',
    help: 'Actions finished, by operation and outcome (succeeded, failed, effective, ineffective).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const decisionLatency = new Histogram({
    name: 'devops_agent_decision_latency_seconds',
    help: 'Time from the alert that opened an incident to the decision on its action.',
    labelNames: ['decided_by'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const timeToRecovery = new Histogram({
    name: 'devops_agent_time_to_recovery_seconds',
    help: 'Time from an incident opening to its verified recovery.',
    labelNames: ['alertname'] as const,
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  return { alertsReceived, actionsFinished, decisionLatency, timeToRecovery };
}
