import { z } from 'zod';

/**
 * Shapes every service shares: the one error body (service-kit's error handler) and the
 * `GET /health` and `GET /status` answers every service serves.
 */

export const errorBodySchema = z.object({
  error: z.string(),
  message: z.string(),
  field: z.string().optional(),
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
  request_id: z.string().optional(),
});
export type ErrorBodyContract = z.infer<typeof errorBodySchema>;

export const HEALTH_STATES = ['healthy', 'degraded', 'unhealthy'] as const;
export const healthStateSchema = z.enum(HEALTH_STATES);

/** `GET /health`: the worst check decides `status`; services add their own fields. */
export const healthResponseSchema = z.looseObject({
  status: healthStateSchema,
  service: z.string(),
  version: z.string(),
  timestamp: z.string(),
  checks: z.record(z.string(), z.looseObject({ status: healthStateSchema, message: z.string().optional() })),
});
export type HealthResponse = z.infer<typeof healthResponseSchema>;

/** `GET /status`: version and uptime; services add their own fields. */
export const statusResponseSchema = z.looseObject({
  service: z.string(),
  version: z.string(),
  environment: z.string(),
  started_at: z.string(),
  uptime_seconds: z.number(),
  node_version: z.string(),
});
export type StatusResponse = z.infer<typeof statusResponseSchema>;

/** A query schema's input as a client sends it: the fields zod coerces (`z.coerce.number()`) are numbers. */
export type QueryInput<Schema extends z.ZodType> = {
  [Key in keyof z.input<Schema>]?: unknown extends z.input<Schema>[Key] ? number : z.input<Schema>[Key];
};
