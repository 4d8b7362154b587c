import type { App } from '@atb/service-kit';
import type { HealthMonitor } from '../monitoring/health-monitor.js';

/** Polling-mode controls, on the paths kept from the original design. */
export function registerMonitoringRoutes(app: App, monitor: HealthMonitor): void {
  app.post('/control/start-monitoring', { schema: { tags: ['monitoring'], summary: 'Start polling the target’s /health' } }, async () => {
    const started = monitor.start();
    return { status: started ? 'started' : 'already_running', monitoring: monitor.status() };
  });
  app.post('/control/stop-monitoring', { schema: { tags: ['monitoring'], summary: 'Stop polling' } }, async () => {
    const stopped = await monitor.stop();
    return { status: stopped ? 'stopped' : 'not_running', monitoring: monitor.status() };
  });
  app.post('/monitoring/cycle', { schema: { tags: ['monitoring'], summary: 'Run one health check now' } }, async () => {
    const result = await monitor.cycle();
    return {
      status: 'completed',
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
  });
  app.get('/monitoring/status', { schema: { tags: ['monitoring'], summary: 'Polling state, last check, response times' } }, async () => monitor.status());
}
