import {
  chaosAcceptedResponseSchema,
  chaosClearResponseSchema,
  crashRequestSchema,
  errorsRequestSchema,
  faultReportSchema,
  latencyRequestSchema,
  memoryLeakRequestSchema,
} from '@atb/contracts';
import type { App } from '@atb/service-kit';
import { CRASH_EXIT_CODE, type FaultInjector } from './fault-injector.js';

export interface ChaosRouteOptions {
  faults: FaultInjector;
  maxLeakMb: number;
}

/**
 * The fault-injection routes for drills. Registered only when `CHAOS_ENABLED=true`; every
 * fault stays visible in `/status`, `/health` (degraded) and `/metrics` while active.
 */
export function registerChaosRoutes(app: App, { faults, maxLeakMb }: ChaosRouteOptions): void {
  const tags = ['chaos'];

  app.post(
    '/chaos/latency',
    { schema: { tags, summary: 'Delay `probability` of /predict and /predictions/recent requests by `ms`', body: latencyRequestSchema, response: { 200: faultReportSchema } } },
    async (request) => {
      faults.setLatency(request.body.ms, request.body.probability);
      return faults.report();
    },
  );

  app.post(
    '/chaos/errors',
    { schema: { tags, summary: 'Answer a share `rate` of /predict and /predictions/recent requests with 500', body: errorsRequestSchema, response: { 200: faultReportSchema } } },
    async (request) => {
      faults.setErrors(request.body.rate);
      return faults.report();
    },
  );

  app.post(
    '/chaos/memory-leak',
    {
      schema: {
        tags,
        summary: 'Retain `mb_per_second` MiB every second, up to `max_mb` MiB',
        body: memoryLeakRequestSchema(maxLeakMb),
        response: { 200: faultReportSchema },
      },
    },
    async (request) => {
      faults.startMemoryLeak(request.body.mb_per_second, request.body.max_mb);
      return faults.report();
    },
  );

  app.post(
    '/chaos/hang',
    { schema: { tags, summary: 'Stop answering every request (including /health) until the process restarts', response: { 202: chaosAcceptedResponseSchema } } },
    async (_request, reply) => {
      faults.hang();
      return reply.status(202).send({ accepted: true, fault: 'hang', message: 'no further request will be answered until restart' });
    },
  );

  app.post(
    '/chaos/crash',
    { schema: { tags, summary: `Answer 202, then exit with status ${CRASH_EXIT_CODE} after delay_ms`, body: crashRequestSchema, response: { 202: chaosAcceptedResponseSchema } } },
    async (request, reply) => {
      const delay = request.body?.delay_ms ?? 100;
      // Exit only once the 202 has been written out.
      reply.raw.once('finish', () => faults.scheduleCrash(delay));
      return reply
        .status(202)
        .send({ accepted: true, fault: 'crash', exit_code: CRASH_EXIT_CODE, delay_ms: delay, message: 'the process will exit' });
    },
  );

  app.delete('/chaos', { schema: { tags, summary: 'Clear every active fault', response: { 200: chaosClearResponseSchema } } }, async () => {
    const cleared = faults.clear();
    return { cleared, ...faults.report() };
  });
}
