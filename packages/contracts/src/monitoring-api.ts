import { z } from 'zod';

/**
 * The devops agent's polling mode: `GET /monitoring/status`, `POST /monitoring/cycle`,
 * `POST /control/start-monitoring`, `POST /control/stop-monitoring`.
 */

const nullableNumber = z.number().nullable();

export const monitoringStatusSchema = z.object({
  monitoring_active: z.boolean(),
  /** False while another replica polls this service (one poller per service across replicas). */
  leading: z.boolean().optional(),
  started_at: z.string().nullable(),
  target_url: z.string(),
  service: z.string(),
  interval_seconds: z.number(),
  timeout_seconds: z.number(),
  slow_threshold_ms: z.number(),
  /** Seconds before a first failure is re-checked (0 = raised at once). */
  recheck_delay_seconds: z.number(),
  cycles: z.number().int(),
  failures: z.number().int(),
  /** First failures the re-check found gone (not raised). */
  transient: z.number().int(),
  alerts_fired: z.number().int(),
  alerts_resolved: z.number().int(),
  last_check: z
    .object({
      checked_at: z.string(),
      reachable: z.boolean(),
      status: z.string().nullable(),
      http_status: nullableNumber,
      response_time_ms: z.number(),
      error: z.string().nullable(),
    })
    .nullable(),
  /** Alert names of the synthetic alerts firing now. */
  active_alerts: z.array(z.string()),
  response_time_ms: z.object({
    average: nullableNumber,
    p50: nullableNumber,
    p95: nullableNumber,
    max: nullableNumber,
    samples: z.number().int(),
  }),
  recent_checks: z.array(z.object({ at: z.string(), response_time_ms: z.number(), condition: z.string() })),
});
export type MonitoringStatus = z.infer<typeof monitoringStatusSchema>;

/** `POST /control/start-monitoring` and `POST /control/stop-monitoring`. */
export const monitoringControlResponseSchema = z.object({
  status: z.enum(['started', 'already_running', 'stopped', 'not_running']),
  monitoring: monitoringStatusSchema,
});
export type MonitoringControlResponse = z.infer<typeof monitoringControlResponseSchema>;

/** `POST /monitoring/cycle`: one health check, and the synthetic alerts it fired or resolved. */
export const monitoringCycleResponseSchema = z.object({
  status: z.literal('completed'),
  condition: z.string(),
  alerts_fired: z.array(z.string()),
  alerts_resolved: z.array(z.string()),
  check: z.object({
    reachable: z.boolean(),
    status: z.string().nullable(),
    http_status: nullableNumber,
    response_time_ms: z.number(),
    error: z.string().nullable(),
  }),
});
export type MonitoringCycleResponse = z.infer<typeof monitoringCycleResponseSchema>;
