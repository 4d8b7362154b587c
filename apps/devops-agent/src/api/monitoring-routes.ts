import { monitoringControlResponseSchema, monitoringCycleQuerySchema, monitoringCycleResponseSchema, monitoringStatusSchema } from '@atb/contracts';
import { type App, assertRole, NotFoundError } from '@atb/service-kit';
import type { FastifyRequest } from 'fastify';
import type { AgentAudit } from '../audit/agent-audit.js';
import type { FleetMonitor } from '../monitoring/fleet-monitor.js';
import type { Decider } from '../policy/approvals.js';
import { controlMonitoring } from '../policy/monitoring-control.js';

/** The operator behind the request's bearer token (403 below the operator role). */
const tokenDecider = (request: FastifyRequest): Decider => ({ principal: assertRole(request, 'operator'), via: 'token' });

/** Polling-mode controls: start, stop, one cycle now, and the polling state of every service. Start and stop are audited with the caller's principal. */
export function registerMonitoringRoutes(app: App, monitor: FleetMonitor, audit: AgentAudit): void {
  const control = { 200: monitoringControlResponseSchema };
  app.post(
    '/control/start-monitoring',
    { schema: { tags: ['monitoring'], summary: 'Start polling every catalog service’s /health', response: control } },
    async (request) => ({ status: await controlMonitoring({ monitor, audit }, 'start', tokenDecider(request)), monitoring: monitor.status() }),
  );
  app.post('/control/stop-monitoring', { schema: { tags: ['monitoring'], summary: 'Stop polling', response: control } }, async (request) => ({
    status: await controlMonitoring({ monitor, audit }, 'stop', tokenDecider(request)),
    monitoring: monitor.status(),
  }));
  app.post(
    '/monitoring/cycle',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Run one health check now, of one service (?service=) or of each',
        querystring: monitoringCycleQuerySchema,
        response: { 200: monitoringCycleResponseSchema },
      },
    },
    async (request) => {
      const { service } = request.query;
      if (service !== undefined && !monitor.names().includes(service)) {
        throw new NotFoundError(`service "${service}" is not polled (polled: ${monitor.names().join(', ') || 'none'})`, { field: 'query.service' });
      }
      const results = await monitor.cycle(service);
      const first = results[0];
      if (!first) throw new NotFoundError('no catalog service has a health check to poll', { field: 'query.service' });
      const { reading } = first.result;
      return {
        status: 'completed' as const,
        condition: first.result.condition ?? 'ok',
        alerts_fired: first.result.fired,
        alerts_resolved: first.result.resolved,
        check: {
          reachable: reading.reachable,
          status: reading.status ?? null,
          http_status: reading.http_status ?? null,
          response_time_ms: reading.response_time_ms,
          error: reading.error ?? null,
        },
        services: results.map(({ service: name, result }) => ({ service: name, condition: result.condition ?? 'ok', alerts_fired: result.fired, alerts_resolved: result.resolved })),
      };
    },
  );
  app.get(
    '/monitoring/status',
    { schema: { tags: ['monitoring'], summary: 'Polling state of every service: last check, lag, response times', response: { 200: monitoringStatusSchema } } },
    async () => monitor.status(),
  );
}
