import { monitoringControlResponseSchema, monitoringCycleResponseSchema, monitoringStatusSchema } from '@atb/contracts';
import { type App, assertRole } from '@atb/service-kit';
import type { FastifyRequest } from 'fastify';
import type { AgentAudit } from '../audit/agent-audit.js';
import type { HealthMonitor } from '../monitoring/health-monitor.js';

/** The audit record of a control action: the principal of the request's token, and what it changed. */
async function recordControl(audit: AgentAudit, request: FastifyRequest, action: string, outcome: string): Promise<void> {
  const { id, name, kind, role } = assertRole(request, 'operator');
  await audit.record(action, 'monitoring', { outcome, principal: { id, name, kind, role }, authenticated_via: 'token' }, name);
}

/** Polling-mode controls: start, stop, one cycle now, and the polling state. Start and stop are audited with the caller's principal. */
export function registerMonitoringRoutes(app: App, monitor: HealthMonitor, audit: AgentAudit): void {
  const control = { 200: monitoringControlResponseSchema };
  app.post(
    '/control/start-monitoring',
    { schema: { tags: ['monitoring'], summary: 'Start polling the target’s /health', response: control } },
    async (request) => {
      const status = monitor.start() ? ('started' as const) : ('already_running' as const);
      await recordControl(audit, request, 'monitoring-started', status);
      return { status, monitoring: monitor.status() };
    },
  );
  app.post('/control/stop-monitoring', { schema: { tags: ['monitoring'], summary: 'Stop polling', response: control } }, async (request) => {
    const status = (await monitor.stop()) ? ('stopped' as const) : ('not_running' as const);
    await recordControl(audit, request, 'monitoring-stopped', status);
    return { status, monitoring: monitor.status() };
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
