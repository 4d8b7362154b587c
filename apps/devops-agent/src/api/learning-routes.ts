import { learningStatsQuerySchema, learningStatsResponseSchema } from '@atb/contracts';
import type { App } from '@atb/service-kit';
import type { AgentStore } from '../store/agent-store.js';

/** `GET /learning/stats`: per (alertname, service, action) attempts, successes, effective rate, MTTR. */
export function registerLearningRoutes(app: App, store: AgentStore): void {
  app.get(
    '/learning/stats',
    {
      schema: {
        tags: ['learning'],
        summary: 'Effectiveness of actions per alert and service',
        querystring: learningStatsQuerySchema,
        response: { 200: learningStatsResponseSchema },
      },
    },
    async (request) => ({ stats: await store.learningStats(request.query) }),
  );
}
