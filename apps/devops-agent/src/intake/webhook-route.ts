import { alertmanagerWebhookSchema } from '@atb/contracts';
import type { App } from '@atb/service-kit';
import { z } from 'zod';
import { type AlertIntake, alertsOfNotification } from './alert-intake.js';
import { checkWebhookAuthorization, type WebhookCredentials } from './webhook-auth.js';

const ingestResponseSchema = z.object({
  status: z.literal('accepted'),
  received: z.number(),
  created: z.number(),
  resolved: z.number(),
  unchanged: z.number(),
  ignored: z.number(),
  incidents: z.array(z.string()),
});

/**
 * `POST /webhook/alerts`: the Alertmanager v4 webhook. Persists alerts and their analysis jobs in
 * one transaction and answers 200 at once; analysis runs from the durable queue. Re-sent and
 * duplicate notifications change nothing twice.
 */
export function registerWebhookRoute(
  app: App,
  intake: AlertIntake,
  options: { credentials: WebhookCredentials; bodyLimit: number },
): void {
  app.post(
    '/webhook/alerts',
    {
      bodyLimit: options.bodyLimit,
      onRequest: async (request) => {
        checkWebhookAuthorization(request.headers.authorization, options.credentials);
      },
      schema: {
        tags: ['intake'],
        summary: 'Alertmanager webhook (version 4); idempotent',
        body: alertmanagerWebhookSchema,
        response: { 200: ingestResponseSchema },
      },
    },
    async (request) => {
      const result = await intake.accept(alertsOfNotification(request.body), request.body.receiver || 'alertmanager');
      return {
        status: 'accepted' as const,
        received: result.received,
        created: result.created,
        resolved: result.resolved,
        unchanged: result.unchanged,
        ignored: result.ignored,
        incidents: result.touched.slice(0, 100),
      };
    },
  );
}
