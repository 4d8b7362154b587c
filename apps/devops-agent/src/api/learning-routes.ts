import { learningStatsQuerySchema, learningStatsResponseSchema } from '@atb/contracts';
import type { App } from '@atb/service-kit';
import type { AgentStore } from '../store/agent-store.js';
import { learningStats } from '../learning/learning-stats.js';

/** `GET /learning/stats`: per (alertname, service, action) attempts, successes, effective rate, MTTR. */
export function registerLearningRoutes(app: App, store: Pick<AgentStore, 'learning'>): void {
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
    async (request) => ({ stats: await learningStats(store.learning, request.query) }),
  );
}
