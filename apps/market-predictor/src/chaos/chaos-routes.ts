import type { App } from '@atb/service-kit';
import { z } from 'zod';
import { CRASH_EXIT_CODE, type FaultInjector } from './fault-injector.js';

export const MAX_LATENCY_MS = 60_000;
export const MAX_LEAK_RATE_MB_PER_SECOND = 1024;
export const MAX_CRASH_DELAY_MS = 10_000;

const probability = (what: string) =>
  z
    .number({ error: `expected ${what} between 0 and 1` })
    .min(0, `expected ${what} between 0 and 1`)
    .max(1, `expected ${what} between 0 and 1`);

export const latencyRequestSchema = z.object({
  ms: z
    .number({ error: 'expected milliseconds' })
    .int('expected whole milliseconds')
    .min(0, 'expected at least 0 ms')
    .max(MAX_LATENCY_MS, `expected at most ${MAX_LATENCY_MS} ms`),
  probability: probability('a probability').default(1),
});

export const errorsRequestSchema = z.object({ rate: probability('a rate') });

/** The leak's cap is bounded by `CHAOS_MAX_LEAK_MB`, so the schema is built from the config. */
export const memoryLeakRequestSchema = (maxLeakMb: number) =>
  z.object({
    mb_per_second: z
      .number({ error: 'expected MiB per second' })
      .positive('expected more than 0 MiB per second')
      .max(MAX_LEAK_RATE_MB_PER_SECOND, `expected at most ${MAX_LEAK_RATE_MB_PER_SECOND} MiB per second`),
    max_mb: z
      .number({ error: 'expected MiB' })
      .positive('expected more than 0 MiB')
      .max(maxLeakMb, `expected at most ${maxLeakMb} MiB (CHAOS_MAX_LEAK_MB)`),
  });

export const crashRequestSchema = z
  .object({
    delay_ms: z
      .number({ error: 'expected milliseconds' })
      .int('expected whole milliseconds')
      .min(0, 'expected at least 0 ms')
      .max(MAX_CRASH_DELAY_MS, `expected at most ${MAX_CRASH_DELAY_MS} ms`)
      .default(100),
  })
  .nullish();

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
    { schema: { tags, summary: 'Delay `probability` of /predict and /predictions/recent requests by `ms`', body: latencyRequestSchema } },
    async (request) => {
      faults.setLatency(request.body.ms, request.body.probability);
      return faults.report();
    },
  );

  app.post(
    '/chaos/errors',
    { schema: { tags, summary: 'Answer a share `rate` of /predict and /predictions/recent requests with 500', body: errorsRequestSchema } },
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
      },
    },
    async (request) => {
      faults.startMemoryLeak(request.body.mb_per_second, request.body.max_mb);
      return faults.report();
    },
  );

  app.post(
    '/chaos/hang',
    { schema: { tags, summary: 'Stop answering every request (including /health) until the process restarts' } },
    async (_request, reply) => {
      faults.hang();
      return reply.status(202).send({ accepted: true, fault: 'hang', message: 'no further request will be answered until restart' });
    },
  );

  app.post(
    '/chaos/crash',
    { schema: { tags, summary: `Answer 202, then exit with status ${CRASH_EXIT_CODE} after delay_ms`, body: crashRequestSchema } },
    async (request, reply) => {
      const delay = request.body?.delay_ms ?? 100;
      // Exit only once the 202 has been written out.
      reply.raw.once('finish', () => faults.scheduleCrash(delay));
      return reply
        .status(202)
        .send({ accepted: true, fault: 'crash', exit_code: CRASH_EXIT_CODE, delay_ms: delay, message: 'the process will exit' });
    },
  );

  app.delete('/chaos', { schema: { tags, summary: 'Clear every active fault' } }, async () => {
    const cleared = faults.clear();
    return { cleared, ...faults.report() };
  });
}
