import type { Action, AgentStore, Incident, IncidentState, StoredAlert } from '../../src/store/agent-store.js';

/** What {@link seedIncidents} wrote, so a test can compute the expected rows itself. */
export interface Seeded {
  incidents: Incident[];
  actions: Action[];
}

const SERVICES = ['market-predictor', 'order-router', 'risk-engine', 'price-feed'];
const TYPES = ['service_down', 'high_latency', 'error_rate', 'memory_pressure'];
/** The runbook each issue type's analysis followed. */
export const RUNBOOKS: Record<string, string> = { service_down: 'service-down', high_latency: 'latency', error_rate: 'error-burst', memory_pressure: 'memory' };
const STATES: IncidentState[] = ['resolved', 'resolved', 'resolved', 'open', 'escalated', 'awaiting_approval', 'failed'];

/**
 * Writes `count` incidents through the store's own intake transaction, spread over the last
 * `days` days across four services, issue types and states, each with one alert; every third
 * incident also gets a verified restart with a recovery time (through the change set). Values
 * follow from the index, so a test recomputes what it expects from the returned rows.
 */
export async function seedIncidents(store: Pick<AgentStore, 'changes'>, count: number, options: { days?: number; now?: number } = {}): Promise<Seeded> {
  const now = options.now ?? Date.now();
  const days = options.days ?? 14;
  const incidents: Incident[] = [];
  const alerts: StoredAlert[] = [];
  for (let index = 0; index < count; index += 1) {
    const opened = new Date(now - 60_000 - ((index * 7919) % (days * 1440 - 1)) * 60_000 - (index % 60) * 1000).toISOString();
    const service = SERVICES[index % SERVICES.length]!;
    const type = TYPES[(index >> 2) % TYPES.length]!;
    const state = STATES[index % STATES.length]!;
    const id = `inc_seed_${String(index).padStart(6, '0')}`;
    incidents.push({
      id,
      group_key: `${service}|${type}|${index}`,
      alertname: type === 'service_down' ? 'ServiceDown' : 'ServiceDegraded',
      service,
      severity: index % 5 === 0 ? 'critical' : 'warning',
      title: `${type} on ${service} #${index}`,
      state,
      opened_at: opened,
      cycle_started_at: opened,
      updated_at: opened,
      resolved_at: state === 'resolved' ? new Date(Date.parse(opened) + 30_000).toISOString() : null,
      last_fired_at: opened,
      flap_count: 0,
      action_attempts: index % 3 === 0 ? 1 : 0,
      analysis: {
        analysis: { issue_detected: true, severity: 'high', issue_type: type, description: 'seeded', root_cause: 'seeded', recommended_actions: [], confidence: 0.8, requires_immediate_action: true, risk_assessment: 'low' },
        analyzer: 'rules',
        runbook: RUNBOOKS[type]!,
      },
      analyzer: 'rules',
      escalation_reason: null,
      coding_task: null,
    });
    alerts.push({
      fingerprint: `seed-${index}`,
      status: state === 'resolved' ? 'resolved' : 'firing',
      starts_at: opened,
      ends_at: '0001-01-01T00:00:00Z',
      labels: { alertname: 'Seeded', service },
      annotations: {},
      generator_url: '',
      alertname: 'Seeded',
      service,
      severity: 'warning',
      incident_id: id,
      received_at: opened,
      updated_at: opened,
    });
  }
  for (let start = 0; start < count; start += 500) {
    await store.changes.intake(async (transaction) => {
      await transaction.insertIncidents(incidents.slice(start, start + 500));
      await transaction.insertAlerts(alerts.slice(start, start + 500));
    });
  }
  const actions: Action[] = [];
  for (const [index, incident] of incidents.entries()) {
    if (index % 3 !== 0) continue;
    const verified = new Date(Date.parse(incident.opened_at) + 20_000).toISOString();
    const action: Action = {
      id: `act_seed_${String(index).padStart(6, '0')}`,
      incident_id: incident.id,
      operation: index % 2 === 0 ? 'restart' : 'stats',
      target: incident.service,
      attempt: 1,
      idempotency_key: `seed-${index}`,
      status: index % 9 === 0 ? 'failed' : 'succeeded',
      risk: 'medium',
      confidence: 0.8,
      intent: `restart ${incident.service}`,
      priority: 'HIGH',
      decided_by: 'policy',
      decision_reason: 'seeded',
      created_at: incident.opened_at,
      expires_at: null,
      approved_by: 'policy',
      approval_reason: null,
      started_at: incident.opened_at,
      finished_at: verified,
      gateway_response: null,
      effective: index % 9 !== 0,
      verified_at: verified,
      recovery_seconds: index % 9 === 0 ? null : 5 + (index % 60),
      alertname: incident.alertname,
      service: incident.service,
    };
    actions.push(action);
  }
  for (let start = 0; start < actions.length; start += 200) {
    await Promise.all(actions.slice(start, start + 200).map((action) => store.changes.commit({ createAction: action })));
  }
  return { incidents, actions };
}
