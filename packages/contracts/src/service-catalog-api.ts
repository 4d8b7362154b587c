import { z } from 'zod';
import { actionSchema, incidentSchema, learningStatSchema } from './devops-agent-api.js';
import { serviceMonitoringStateSchema } from './monitoring-api.js';

/**
 * The devops agent's service catalog: `GET /services` (every entry with its health and open
 * incidents at a glance) and `GET /services/{name}` (one entry with its open incidents, last
 * actions, learning statistics and health).
 */

export const catalogEntrySchema = z.object({
  name: z.string(),
  alerts: z.array(z.record(z.string(), z.string())),
  health: z
    .object({ url: z.string(), interval_seconds: z.number(), timeout_seconds: z.number(), expected_status: z.number().int().nullable(), slow_threshold_ms: z.number() })
    .nullable(),
  target: z.object({ container: z.string().nullable(), labels: z.record(z.string(), z.string()).nullable() }),
  owners: z.array(z.string()),
  escalation_channel: z.string().nullable(),
  repository: z.string().nullable(),
  runbooks: z.array(z.string()),
  autonomous: z.boolean(),
});
export type CatalogEntryView = z.infer<typeof catalogEntrySchema>;

export const serviceSummarySchema = catalogEntrySchema.extend({
  /** The polling state; null for a service without a health check. */
  monitoring: serviceMonitoringStateSchema.nullable(),
  open_incidents: z.number().int(),
});
export type ServiceSummary = z.infer<typeof serviceSummarySchema>;

export const serviceListResponseSchema = z.object({
  services: z.array(serviceSummarySchema),
  count: z.number().int(),
  catalog: z.object({ source: z.string(), version: z.string(), loaded_at: z.string(), last_error: z.object({ at: z.string(), error: z.string() }).nullable() }),
});
export type ServiceListResponse = z.infer<typeof serviceListResponseSchema>;

export const serviceNameParamsSchema = z.object({ name: z.string().min(1).max(128) });

export const serviceDetailSchema = serviceSummarySchema.extend({
  incidents: z.array(incidentSchema),
  last_actions: z.array(actionSchema),
  learning: z.array(learningStatSchema),
});
export type ServiceDetail = z.infer<typeof serviceDetailSchema>;
