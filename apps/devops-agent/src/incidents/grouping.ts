import { createHash } from 'node:crypto';
import type { IncomingAlert, Incident } from '../store/agent-store.js';
import { AVAILABILITY } from './container-failure.js';
import { newIncidentId } from './ids.js';

/** The label the intake adds to an alert of a catalog service: the entry's name. */
export const CATALOG_SERVICE_LABEL = 'catalog_service';

/** Longest label value kept in an indexed or summary column. */
const SHORT = 200;

const short = (value: string): string => (value.length > SHORT ? `${value.slice(0, SHORT - 1)}…` : value);

/** The alert's name, service and severity, from its labels (each at most 200 characters). */
export function describeAlert(labels: Record<string, string>) {
  return {
    alertname: short(labels.alertname ?? 'unknown'),
    service: short(labels[CATALOG_SERVICE_LABEL] ?? labels.service ?? labels.job ?? labels.container ?? labels.instance ?? 'unknown'),
    severity: short(labels.severity ?? 'warning'),
  };
}

/**
 * A stable, bounded grouping key from the configured labels: alerts with the same key share an
 * incident. Availability alerts (`category=availability`: down, hung, died, unhealthy) stand
 * for one failure of their service whatever their name, so their `alertname` is not part of the key.
 * Alerts of different catalog services never share one.
 */
export function groupKeyOf(labels: Record<string, string>, groupBy: string[]): string {
  const availability = labels.category === AVAILABILITY;
  const keys = labels[CATALOG_SERVICE_LABEL] !== undefined && !groupBy.includes(CATALOG_SERVICE_LABEL) ? [...groupBy, CATALOG_SERVICE_LABEL] : groupBy;
  const values = keys.map((label) => (label === 'alertname' && availability ? `\u0000${AVAILABILITY}` : (labels[label] ?? '')));
  return createHash('sha256').update(JSON.stringify([keys, values])).digest('hex').slice(0, 40);
}

/** New firing alerts by grouping key, in arrival order. */
export function groupAlerts(alerts: IncomingAlert[], groupBy: string[]): Map<string, IncomingAlert[]> {
  const groups = new Map<string, IncomingAlert[]>();
  for (const alert of alerts) {
    const key = groupKeyOf(alert.labels, groupBy);
    const members = groups.get(key);
    if (members) members.push(alert);
    else groups.set(key, [alert]);
  }
  return groups;
}

/** The incident a group's first alert opens. */
export function openIncident(groupKey: string, first: IncomingAlert, now: string): Incident {
  const described = describeAlert(first.labels);
  return {
    id: newIncidentId(),
    group_key: groupKey,
    ...described,
    title: short(first.annotations.summary ?? `${described.alertname} on ${described.service}`),
    state: 'open',
    opened_at: now,
    cycle_started_at: now,
    updated_at: now,
    resolved_at: null,
    last_fired_at: now,
    flap_count: 0,
    action_attempts: 0,
    analysis: null,
    analyzer: null,
    escalation_reason: null,
    coding_task: null,
  };
}
