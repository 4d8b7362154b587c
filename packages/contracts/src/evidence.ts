import { z } from 'zod';

/**
 * What the agent gathered about an incident before deciding: the health probe's detail, the
 * runtime's view of the container, Prometheus readings, the newest logs' error signatures and
 * the incident's history. Gathered within a time budget; a source that failed or did not answer
 * in time is listed `unavailable`, one that is not set up `not-configured`. Recorded on the
 * incident with the analysis, given to every analyzer, shown by `atb incident` and the dashboard.
 */

export const EVIDENCE_SOURCES = ['health', 'runtime', 'metrics', 'logs', 'history'] as const;
export const evidenceSourceSchema = z.enum(EVIDENCE_SOURCES);
export type EvidenceSource = z.infer<typeof evidenceSourceSchema>;

export const evidenceSourceStatusSchema = z.object({
  source: evidenceSourceSchema,
  status: z.enum(['ok', 'unavailable', 'not-configured']),
  /** Why it is unavailable (the error, or "no answer within N ms"). */
  detail: z.string().max(500).optional(),
  duration_ms: z.number().min(0),
});
export type EvidenceSourceStatus = z.infer<typeof evidenceSourceStatusSchema>;

/** How the health probe ended: refused and timeout tell a dead process from a hung one. */
export const HEALTH_OUTCOMES = ['healthy', 'refused', 'timeout', 'http-error', 'unhealthy', 'slow', 'unreachable'] as const;

export const healthEvidenceSchema = z.object({
  outcome: z.enum(HEALTH_OUTCOMES),
  http_status: z.number().int().optional(),
  status: z.string().max(100).optional(),
  response_time_ms: z.number().min(0).optional(),
  error: z.string().max(500).optional(),
  /** Dependencies the body reports as not up (`{"dependencies": {"price_feed": "down"}}`). */
  dependencies_down: z.array(z.string().max(100)).max(20).optional(),
});
export type HealthEvidence = z.infer<typeof healthEvidenceSchema>;

export const runtimeEvidenceSchema = z.object({
  /** The engine's state: running, exited, created, paused, restarting, … */
  state: z.string().max(50),
  running: z.boolean(),
  exit_code: z.number().int().optional(),
  oom_killed: z.boolean().optional(),
  restart_count: z.number().int().min(0).optional(),
  started_at: z.string().optional(),
  image: z.string().max(300).optional(),
  /** When the container last changed image (from the gateway's image history, else its creation). */
  image_changed_at: z.string().optional(),
  previous_image: z.string().max(300).optional(),
});
export type RuntimeEvidence = z.infer<typeof runtimeEvidenceSchema>;

/** Prometheus readings; absent fields had no data. Ratios are 0..1. */
export const metricsEvidenceSchema = z.object({
  up: z.number().optional(),
  memory_bytes: z.number().optional(),
  /** `predict_linear` of resident memory one hour ahead. */
  memory_predicted_bytes: z.number().optional(),
  memory_limit_bytes: z.number().optional(),
  /** Share of 5xx answers over the last 5 minutes. */
  error_ratio: z.number().optional(),
  /** Seconds, p99 over the last 5 minutes. */
  latency_p99_seconds: z.number().optional(),
  disk_used_ratio: z.number().optional(),
  fds_used_ratio: z.number().optional(),
});
export type MetricsEvidence = z.infer<typeof metricsEvidenceSchema>;

/** One kind of error line in the newest logs, counted. */
export const logSignatureSchema = z.object({
  /** A known class (`oom`, `dependency-refused`, `dns`, `certificate`, `configuration`, `exception`, `timeout`, `disk-full`, `fd-exhausted`, `http-5xx`). */
  kind: z.string().max(50),
  count: z.number().int().min(1),
  /** The newest line of that kind, shortened. */
  example: z.string().max(300),
  /** For `dependency-*`: the host:port or name the line points at. */
  dependency: z.string().max(200).optional(),
});
export type LogSignature = z.infer<typeof logSignatureSchema>;

export const logEvidenceSchema = z.object({
  lines_read: z.number().int().min(0),
  signatures: z.array(logSignatureSchema).max(20),
  /** Where the lines came from: the container's newest lines through the gateway, or Loki's newest error lines (LogQL); absent on older records. */
  origin: z.enum(['container', 'loki']).optional(),
  /** The newest lines that matched a signature (the newest lines when none did), oldest first, each shortened: what a person reads. */
  excerpt: z.array(z.string().max(300)).max(20).optional(),
});
export type LogEvidence = z.infer<typeof logEvidenceSchema>;

/** One PromQL query the agent ran for the evidence, as sent, and what Prometheus answered. */
export const metricQuerySchema = z.object({
  /** The reading it fills (`error_ratio`, `up`, …), or `runbook <name>` for a runbook's own query. */
  name: z.string().max(100),
  /** The PromQL string as sent to `/api/v1/query`. */
  query: z.string().max(1000),
  /** The first sample's value; absent when the query returned no data. */
  value: z.number().optional(),
});
export type MetricQuery = z.infer<typeof metricQuerySchema>;

export const historyEvidenceSchema = z.object({
  flap_count: z.number().int().min(0),
  /** Restarts recorded by earlier incidents or this one that did not clear the problem. */
  ineffective_restarts: z.number().int().min(0),
  effective_restarts: z.number().int().min(0),
  /** Learning: restart's effectiveness for this alert (0..1), when it was tried. */
  restart_effective_rate: z.number().min(0).max(1).optional(),
});
export type HistoryEvidence = z.infer<typeof historyEvidenceSchema>;

export const evidenceSchema = z.object({
  gathered_at: z.string(),
  budget_ms: z.number().int().min(0),
  duration_ms: z.number().min(0),
  sources: z.array(evidenceSourceStatusSchema),
  health: healthEvidenceSchema.optional(),
  runtime: runtimeEvidenceSchema.optional(),
  metrics: metricsEvidenceSchema.optional(),
  /** Each PromQL query behind `metrics` (and the runbook's own queries) with its value. */
  queries: z.array(metricQuerySchema).max(40).optional(),
  logs: logEvidenceSchema.optional(),
  history: historyEvidenceSchema.optional(),
  /** Named facts derived from the above (`oom-killed`, `health-timeout`, …), the words runbooks match on. */
  facts: z.array(z.string().max(60)).max(60),
});
export type Evidence = z.infer<typeof evidenceSchema>;
