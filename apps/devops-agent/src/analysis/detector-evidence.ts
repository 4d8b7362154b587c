import type { AnalysisContext } from '@atb/contracts';
import type { Config } from '../config.js';
import { probeHealth } from '../monitoring/health-probe.js';
import type { StoredAlert } from '../store/agent-store.js';

type Health = NonNullable<AnalysisContext['health']>;

const parse = (text: string | undefined): Record<string, unknown> | undefined => {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * What the detector already saw, newest firing alert first: the health check a polling alert
 * carries (annotation `probe`), or the death an event alert carries (annotation `event`).
 */
export function detectorHealth(alerts: StoredAlert[]): Health | undefined {
  const firing = alerts.filter((alert) => alert.status === 'firing').sort((left, right) => right.received_at.localeCompare(left.received_at));
  for (const alert of firing) {
    const probe = parse(alert.annotations.probe);
    if (probe && typeof probe.reachable === 'boolean' && typeof probe.response_time_ms === 'number') {
      return {
        reachable: probe.reachable,
        ...(typeof probe.status === 'string' ? { status: probe.status } : {}),
        response_time_ms: probe.response_time_ms,
        ...(typeof probe.error === 'string' ? { error: probe.error } : {}),
      };
    }
    const event = parse(alert.annotations.event);
    if (event && (event.type === 'container-died' || event.type === 'container-oom')) {
      const code = typeof event.exit_code === 'number' ? ` with exit code ${event.exit_code}` : '';
      return { reachable: false, error: `the container ${event.type === 'container-oom' ? 'was OOM-killed' : 'died'}${code} at ${String(event.time)}` };
    }
  }
  return undefined;
}

/**
 * The target's health for the analysis without waiting twice: the detector's own evidence when
 * it has some; otherwise one short health check of the service's own health URL (its catalog
 * entry's; HEALTH_RECHECK_TIMEOUT at most, enough to confirm a hang), and none for a service
 * without a health check.
 */
export async function healthEvidence(
  config: Pick<Config, 'HEALTH_RECHECK_TIMEOUT'>,
  probed: { url: string; timeout_seconds: number } | undefined,
  alerts: StoredAlert[],
): Promise<Health | undefined> {
  const seen = detectorHealth(alerts);
  if (seen) return seen;
  if (!probed) return undefined;
  const reading = await probeHealth(probed.url, Math.min(config.HEALTH_RECHECK_TIMEOUT, probed.timeout_seconds) * 1000);
  return {
    reachable: reading.reachable,
    ...(reading.status ? { status: reading.status } : {}),
    response_time_ms: reading.response_time_ms,
    ...(reading.body !== undefined ? { body: reading.body } : {}),
    ...(reading.error ? { error: reading.error } : {}),
  };
}
