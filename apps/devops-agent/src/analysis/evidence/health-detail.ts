import type { HealthEvidence } from '@atb/contracts';
import type { HealthReading } from '../../monitoring/health-probe.js';

/**
 * Classifies one health reading: `refused` (nothing listens: the process is gone), `timeout`
 * (connected or sent, no answer in time: a hang), `http-error` (a 5xx or 4xx answer),
 * `unhealthy` (2xx whose body says otherwise), `slow` (healthy but slower than `slowMs`), `healthy`.
 */
export function healthDetail(reading: HealthReading, slowMs: number): HealthEvidence {
  const timing = { response_time_ms: reading.response_time_ms };
  if (!reading.reachable) {
    const error = (reading.error ?? 'unreachable').slice(0, 500);
    // Refused, or the detector saw the container die: nothing is listening.
    if (/ECONNREFUSED|refused|ENOENT|ECONNRESET|socket hang up|container (died|was OOM-killed)/i.test(error)) return { outcome: 'refused', error, ...timing };
    if (/no answer within|timeout|timed out|ETIMEDOUT|aborted/i.test(error)) return { outcome: 'timeout', error, ...timing };
    return { outcome: 'unreachable', error, ...timing };
  }
  const down = dependenciesDown(reading.body);
  const detail = {
    ...timing,
    ...(down.length > 0 ? { dependencies_down: down } : {}),
    ...(reading.http_status !== undefined ? { http_status: reading.http_status } : {}),
    ...(reading.status ? { status: reading.status.slice(0, 100) } : {}),
  };
  if ((reading.http_status ?? 200) >= 400) return { outcome: 'http-error', ...detail };
  if (reading.status && reading.status !== 'healthy' && reading.status !== 'ok') return { outcome: 'unhealthy', ...detail };
  if (reading.response_time_ms > slowMs) return { outcome: 'slow', ...detail };
  return { outcome: 'healthy', ...detail };
}

/** Names of the dependencies a health body reports as anything but up/ok/healthy. */
function dependenciesDown(body: unknown): string[] {
  const dependencies = typeof body === 'object' && body !== null ? (body as { dependencies?: unknown }).dependencies : undefined;
  if (typeof dependencies !== 'object' || dependencies === null) return [];
  return Object.entries(dependencies as Record<string, unknown>)
    .filter(([, state]) => {
      const value = typeof state === 'object' && state !== null ? (state as { status?: unknown }).status : state;
      return typeof value === 'string' && !/^(up|ok|healthy|connected)$/i.test(value);
    })
    .map(([name]) => name.slice(0, 100))
    .slice(0, 20);
}
