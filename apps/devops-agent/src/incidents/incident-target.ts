import type { Config } from '../config.js';
import type { Incident, StoredAlert } from '../store/agent-store.js';

/** States after which nothing more happens to an incident (until it re-opens). */
export const TERMINAL_STATES = new Set(['resolved', 'escalated', 'failed']);

/**
 * The container an incident's actions target: the alert's `container` label, else its service,
 * else the monitored service.
 */
export function targetOf(incident: Incident, alerts: StoredAlert[], config: Pick<Config, 'MONITORED_SERVICE'>): string {
  const labels = (alerts.find((alert) => alert.status === 'firing') ?? alerts[0])?.labels ?? {};
  const candidate = labels.container ?? (incident.service !== 'unknown' ? incident.service : undefined);
  return candidate ?? config.MONITORED_SERVICE;
}

/** Seconds between two ISO times. */
export const secondsBetween = (from: string, to: string): number =>
  Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 10) / 100);
