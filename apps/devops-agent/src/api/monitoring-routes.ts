import { monitoringControlResponseSchema, monitoringCycleResponseSchema, monitoringStatusSchema } from '@atb/contracts';
import type { App } from '@atb/service-kit';
import type { HealthMonitor } from '../monitoring/health-monitor.js';

/** Polling-mode controls: start, stop, one cycle now, and the polling state. */
export function registerMonitoringRoutes(app: App, monitor: HealthMonitor): void {
  const control = { 200: monitoringControlResponseSchema };
  app.post(
    '/control/start-monitoring',
    { schema: { tags: ['monitoring'], summary: 'Start polling the target’s /health', response: control } },
    async () => {
      const started = monitor.start();
      return { status: started ? ('started' as const) : ('already_running' as const), monitoring: monitor.status() };
    },
  );
  app.post('/control/stop-monitoring', { schema: { tags: ['monitoring'], summary: 'Stop polling', response: control } }, async () => {
    const stopped = await monitor.stop();
    return { status: stopped ? ('stopped' as const) : ('not_running' as const), monitoring: monitor.status() };
  });
  app.post(
    '/monitoring/cycle',
    { schema: { tags: ['monitoring'], summary: 'Run one health check now', response: { 200: monitoringCycleResponseSchema } } },
    async () => {
      const result = await monitor.cycle();
      return {
        status: 'completed' as const,
        condition: result.condition ?? 'ok',
        alerts_fired: result.fired,
        alerts_resolved: result.resolved,
        check: {
          reachable: result.reading.reachable,
          status: result.reading.status ?? null,
          http_status: result.reading.http_status ?? null,
          response_time_ms: result.reading.response_time_ms,
          error: result.reading.error ?? null,
        },
      };
    },
  );
  app.get(
    '/monitoring/status',
    { schema: { tags: ['monitoring'], summary: 'Polling state, last check, response times', response: { 200: monitoringStatusSchema } } },
    async () => monitor.status(),
  );
}
