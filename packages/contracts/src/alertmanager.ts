import { z } from 'zod';

/** `endsAt` of an alert that is still firing. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** One alert of an Alertmanager webhook (version 4). Unknown fields are ignored, never rejected. */
export const alertmanagerAlertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).optional().default({}),
  startsAt: z.string(),
  endsAt: z.string().optional().default(ZERO_TIME),
  generatorURL: z.string().optional().default(''),
  fingerprint: z.string().min(1).max(128),
});
export type AlertmanagerAlert = z.output<typeof alertmanagerAlertSchema>;

/** The Alertmanager webhook payload, version 4. */
export const alertmanagerWebhookSchema = z.looseObject({
  version: z.string().optional().default('4'),
  groupKey: z.string().optional().default(''),
  truncatedAlerts: z.number().int().nonnegative().optional().default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional().default(''),
  groupLabels: z.record(z.string(), z.string()).optional().default({}),
  commonLabels: z.record(z.string(), z.string()).optional().default({}),
  commonAnnotations: z.record(z.string(), z.string()).optional().default({}),
  externalURL: z.string().optional().default(''),
  notification_reason: z.string().optional(),
  alerts: z.array(alertmanagerAlertSchema),
});
export type AlertmanagerWebhook = z.output<typeof alertmanagerWebhookSchema>;
