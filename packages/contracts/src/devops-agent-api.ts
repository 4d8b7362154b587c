import { z } from 'zod';
import type { QueryInput } from './http-api.js';
import { analysisResultSchema } from './analysis.js';
import { evidenceSchema } from './evidence.js';
import { prioritySchema } from './gateway.js';

/**
 * The devops agent's API: incidents, actions and approvals, learning statistics. Audit is in
 * `audit-api.ts`, monitoring in `monitoring-api.ts`.
 */

/** Incident life cycle: open → investigating → awaiting_approval → remediating → verifying → resolved | escalated | failed. */
export const INCIDENT_STATES = ['open', 'investigating', 'awaiting_approval', 'remediating', 'verifying', 'resolved', 'escalated', 'failed'] as const;
export const incidentStateSchema = z.enum(INCIDENT_STATES);

export const ACTION_STATUSES = ['pending', 'approved', 'running', 'succeeded', 'failed', 'rejected', 'expired', 'cancelled'] as const;
export const actionStatusSchema = z.enum(ACTION_STATUSES);

/**
 * Where the coding-task request of a code-level incident stands: `pending` until the coding
 * agent accepts it, `accepted` while it runs, then the task's own final status (`completed`
 * with a pull request, `no_change_needed`, `failed`, `cancelled`).
 */
export const CODING_TASK_RECORD_STATUSES = ['pending', 'accepted', 'completed', 'no_change_needed', 'failed', 'cancelled'] as const;

export const codingTaskRecordSchema = z.object({
  status: z.enum(CODING_TASK_RECORD_STATUSES),
  repository: z.string(),
  requirement: z.string(),
  task_id: z.string().optional(),
  /** The coding agent's own status of the task, as last seen. */
  task_status: z.string().optional(),
  pull_request_url: z.string().optional(),
  /** Why the task ended without a pull request (the coding agent's reason). */
  reason: z.string().optional(),
  attempts: z.number().int(),
  last_error: z.string().optional(),
  updated_at: z.string(),
});
export type CodingTaskRecordContract = z.infer<typeof codingTaskRecordSchema>;

/** An analysis with who produced it (the `AnalysisOutcome` of `analysis.ts`). */
export const analysisOutcomeSchema = z.object({
  analysis: analysisResultSchema,
  analyzer: z.string(),
  fallback_reason: z.string().optional(),
  usage: z
    .object({ prompt_tokens: z.number(), completion_tokens: z.number(), estimated_cost_usd: z.number(), calls: z.number() })
    .optional(),
  evidence: evidenceSchema.optional(),
  runbook: z.string().optional(),
});

export const incidentSchema = z.object({
  id: z.string(),
  group_key: z.string(),
  alertname: z.string(),
  service: z.string(),
  severity: z.string(),
  title: z.string(),
  state: incidentStateSchema,
  opened_at: z.string(),
  /** When the current episode began: opened_at, or the last re-opening. */
  cycle_started_at: z.string(),
  updated_at: z.string(),
  resolved_at: z.string().nullable(),
  last_fired_at: z.string(),
  flap_count: z.number().int(),
  action_attempts: z.number().int(),
  analysis: analysisOutcomeSchema.nullable(),
  analyzer: z.string().nullable(),
  escalation_reason: z.string().nullable(),
  coding_task: codingTaskRecordSchema.nullable(),
});
export type IncidentView = z.infer<typeof incidentSchema>;

export const incidentEventSchema = z.object({
  id: z.number().int(),
  incident_id: z.string(),
  at: z.string(),
  /** noun-verb: `incident-opened`, `analysis-completed`, `action-approved`, … */
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export const storedAlertSchema = z.object({
  fingerprint: z.string(),
  status: z.enum(['firing', 'resolved']),
  starts_at: z.string(),
  ends_at: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  generator_url: z.string(),
  alertname: z.string(),
  service: z.string(),
  severity: z.string(),
  incident_id: z.string(),
  received_at: z.string(),
  updated_at: z.string(),
});

export const actionSchema = z.object({
  id: z.string(),
  incident_id: z.string(),
  /** A gateway operation (`restart`, `inspect`, `stats`, …). */
  operation: z.string(),
  target: z.string(),
  attempt: z.number().int(),
  idempotency_key: z.string(),
  status: actionStatusSchema,
  risk: z.string(),
  confidence: z.number(),
  intent: z.string(),
  priority: prioritySchema,
  /** `policy` (ran on its own), `human`, or `pending`. */
  decided_by: z.string(),
  decision_reason: z.string(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  approved_by: z.string().nullable(),
  approval_reason: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  gateway_response: z.record(z.string(), z.unknown()).nullable(),
  /** null until verified (and for read-only diagnostics). */
  effective: z.boolean().nullable(),
  verified_at: z.string().nullable(),
  recovery_seconds: z.number().nullable(),
  alertname: z.string(),
  service: z.string(),
});
export type ActionView = z.infer<typeof actionSchema>;

const id = z.string().min(1).max(100);
export const idParamsSchema = z.object({ id });

/** `GET /incidents` query. */
/** A time-range bound of a list filter (ISO 8601 with offset). */
const listTime = z.string().datetime({ offset: true });
/** An opaque page cursor: the `next_cursor` of the previous page. */
const pageCursor = z.string().min(1).max(400).regex(/^[A-Za-z0-9_-]+$/, 'expected a next_cursor value');

export const listIncidentsQuerySchema = z.object({
  state: incidentStateSchema.optional(),
  service: z.string().min(1).max(200).optional(),
  alertname: z.string().min(1).max(200).optional(),
  /** The analysis' issue type (`service_down`, `memory_leak`, …): only incidents analysed as that. */
  issue_type: z.string().min(1).max(200).optional(),
  active: z.enum(['true', 'false']).optional(),
  /** Opened at or after. */
  since: listTime.optional(),
  /** Opened before. */
  until: listTime.optional(),
  /** Continue after the previous page (keyset paging: stable while incidents are added). */
  cursor: pageCursor.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export type ListIncidentsQuery = QueryInput<typeof listIncidentsQuerySchema>;

export const incidentListResponseSchema = z.object({
  incidents: z.array(incidentSchema),
  count: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: z.string().nullable().optional(),
});
export type IncidentListResponse = z.infer<typeof incidentListResponseSchema>;

/** `GET /incidents/:id`: the incident with its alerts, timeline and actions. */
export const incidentDetailSchema = incidentSchema.extend({
  alerts: z.array(storedAlertSchema),
  timeline: z.array(incidentEventSchema),
  actions: z.array(actionSchema),
});
export type IncidentDetail = z.infer<typeof incidentDetailSchema>;

/** `GET /actions` query. */
export const listActionsQuerySchema = z.object({
  status: actionStatusSchema.optional(),
  incident_id: id.optional(),
  service: z.string().min(1).max(200).optional(),
  /** The gateway operation (`restart`, `stats`, …). */
  operation: z.string().min(1).max(50).optional(),
  /** Proposed at or after. */
  since: listTime.optional(),
  /** Proposed before. */
  until: listTime.optional(),
  cursor: pageCursor.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type ListActionsQuery = QueryInput<typeof listActionsQuerySchema>;

export const actionListResponseSchema = z.object({ actions: z.array(actionSchema), count: z.number().int(), next_cursor: z.string().nullable().optional() });
export type ActionListResponse = z.infer<typeof actionListResponseSchema>;

/**
 * The decider is the authenticated principal (the bearer token's, or the dashboard session's),
 * never a name in the body: a body that still sends `actor` is refused (422 naming `actor`)
 * rather than silently recorded under another name.
 */
const noActor = z
  .never({ error: 'no longer accepted: the audit records the principal of your token or dashboard session, not a typed name' })
  .optional();

/** `POST /actions/:id/approve` body; the answer is the action. */
export const approveActionRequestSchema = z.object({ actor: noActor, reason: z.string().max(2000).optional() });
export type ApproveActionRequest = z.input<typeof approveActionRequestSchema>;

/** `POST /actions/:id/reject` body (a reason is required); the answer is the action. */
export const rejectActionRequestSchema = z.object({ actor: noActor, reason: z.string().trim().min(1).max(2000) });
export type RejectActionRequest = z.input<typeof rejectActionRequestSchema>;

/** `GET /learning/stats` query and answer: per (alertname, service, action) effectiveness. */
export const learningStatsQuerySchema = z.object({
  alertname: z.string().min(1).max(200).optional(),
  service: z.string().min(1).max(200).optional(),
});
export type LearningStatsQuery = QueryInput<typeof learningStatsQuerySchema>;

export const learningStatSchema = z.object({
  alertname: z.string(),
  service: z.string(),
  action: z.string(),
  attempts: z.number().int(),
  successes: z.number().int(),
  effective_rate: z.number(),
  mean_time_to_recovery_s: z.number().nullable(),
});

export const learningStatsResponseSchema = z.object({ stats: z.array(learningStatSchema) });
export type LearningStatsResponse = z.infer<typeof learningStatsResponseSchema>;
