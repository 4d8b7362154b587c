import { createHash } from 'node:crypto';
import { type ContainerEvent, ZERO_TIME } from '@atb/contracts';
import type { IncomingAlert } from '../store/agent-store.js';

/**
 * The label value of alerts that say a service is not available (down, hung, dead, unhealthy):
 * alerts with `category=availability` of one service are one failure, whoever saw it first —
 * a container event, a polling check or a Prometheus rule (see `groupKeyOf`).
 */
export const AVAILABILITY = 'availability';

/** The alerts a container event raises. */
export const CONTAINER_ALERTS = {
  died: { alertname: 'ContainerDown', summary: 'died' },
  oom: { alertname: 'ContainerOOMKilled', summary: 'was killed for running out of memory' },
  unhealthy: { alertname: 'ContainerUnhealthy', summary: 'reports unhealthy (its healthcheck fails)' },
} as const;
export type ContainerFailure = keyof typeof CONTAINER_ALERTS;

/** What one event means for incidents: a failure to raise, failures it clears, or nothing. */
export type EventMeaning = { raise: ContainerFailure } | { clear: ContainerFailure[] } | undefined;

/**
 * A death, an OOM kill or an unhealthy report is a failure — unless the gateway caused it (its
 * own stop or restart is no incident). A start (by anyone) clears every failure of the target
 * (the new run is judged afresh); a healthy report clears an unhealthy one.
 */
export function meaningOf(event: ContainerEvent): EventMeaning {
  const external = event.initiated_by === 'external';
  switch (event.type) {
    case 'container-died':
      return external ? { raise: 'died' } : undefined;
    case 'container-oom':
      return external ? { raise: 'oom' } : undefined;
    case 'container-health-changed':
      if (event.health_status === 'unhealthy') return external ? { raise: 'unhealthy' } : undefined;
      return event.health_status === 'healthy' ? { clear: ['unhealthy'] } : undefined;
    case 'container-started':
    case 'container-restarted':
      return { clear: ['died', 'oom', 'unhealthy'] };
    default:
      return undefined;
  }
}

/** One fingerprint per target and failure; each occurrence is its own alert by its start time. */
export function failureFingerprint(target: string, failure: ContainerFailure): string {
  return createHash('sha256').update(`container-event:${target}:${failure}`).digest('hex').slice(0, 16);
}

/** The `source` label of the alerts container events raise. */
export const CONTAINER_EVENTS_SOURCE = 'container-events';

/**
 * The (firing) alert of a failure an event raised. `owner` names the service the container
 * belongs to (its `service` label and any labels that tie the alert to it); by default the
 * container's own name.
 */
export function failureAlert(
  event: Pick<ContainerEvent, 'target' | 'container_id' | 'time' | 'type' | 'exit_code' | 'health_status' | 'id' | 'runtime'>,
  failure: ContainerFailure,
  owner: { service: string; labels?: Record<string, string> } = { service: event.target },
): IncomingAlert {
  const definition = CONTAINER_ALERTS[failure];
  const detail = event.exit_code !== undefined ? ` with exit code ${event.exit_code}` : event.health_status ? ` (${event.health_status})` : '';
  return {
    fingerprint: failureFingerprint(event.target, failure),
    status: 'firing',
    starts_at: event.time,
    ends_at: ZERO_TIME,
    labels: {
      alertname: definition.alertname,
      service: owner.service,
      container: event.target,
      severity: 'critical',
      category: AVAILABILITY,
      source: CONTAINER_EVENTS_SOURCE,
      ...owner.labels,
    },
    annotations: {
      summary: `${owner.service === event.target ? event.target : `${owner.service} (container ${event.target})`} ${definition.summary}`,
      description: `${event.runtime} reported ${event.type}${detail} for ${event.target} at ${event.time}`,
      // The event itself, the evidence the analysis uses instead of probing again.
      event: JSON.stringify({ id: event.id, type: event.type, time: event.time, container_id: event.container_id, ...(event.exit_code !== undefined ? { exit_code: event.exit_code } : {}), ...(event.health_status ? { health_status: event.health_status } : {}) }),
    },
    generator_url: '',
  };
}

/**
 * A failure a container event reported happened at one instant, its `starts_at`. One that
 * happened before the service's last recovery (the resolution of its latest incident of the
 * same kind) is stale — the recovery was seen after it, e.g. a death delivered late after a
 * reconnect, when polling had already restarted the service and verified it: it is recorded
 * on the recovered incident and acted on no more. A failure at or after the recovery is a new one.
 */
export function isStaleFailure(alert: Pick<IncomingAlert, 'labels' | 'starts_at'>, lastRecoveryAt: string | null | undefined): boolean {
  if (alert.labels.source !== CONTAINER_EVENTS_SOURCE || !lastRecoveryAt) return false;
  const at = Date.parse(alert.starts_at);
  return Number.isFinite(at) && at < Date.parse(lastRecoveryAt);
}
