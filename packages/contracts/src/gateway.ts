import { z } from 'zod';

/**
 * The command gateway's wire contract: `POST /execute-docker-command` with the original field
 * names. Shared by the gateway server and the one gateway client (`@atb/clients`) that the
 * devops agent and the CLI use. The audit routes are in `audit-api.ts`.
 */

/** The closed set of operations the gateway can execute. Nothing else exists. */
export const OPERATIONS = ['restart', 'start', 'stop', 'logs', 'inspect', 'stats', 'list', 'rollback'] as const;
export const operationSchema = z.enum(OPERATIONS);
export type Operation = z.infer<typeof operationSchema>;

/** Operations that change a container's state; one at a time per target. */
export const MUTATING_OPERATIONS: ReadonlySet<Operation> = new Set(['restart', 'start', 'stop', 'rollback']);

/**
 * Operations never granted by default: a policy grants them per source *and* per target
 * (`sources.<id>.targets.<operation>`). `rollback` recreates a container from its previous image.
 */
export const HIGH_RISK_OPERATIONS: ReadonlySet<Operation> = new Set(['rollback']);

export const PRIORITIES = ['LOW', 'MEDIUM', 'HIGH'] as const;
export const prioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof prioritySchema>;

/** Longest intent accepted, in bytes of UTF-8 (longer is answered 413). */
export const MAX_INTENT_BYTES = 4096;

export const executeCommandRequestSchema = z.object({
  source_id: z.string().min(1).max(128),
  target_resource: z.object({
    name: z.string().min(1).max(253),
  }),
  action_request: z.object({
    intent: z.string().min(1),
    /** Free text or structured context; recorded in the audit log, never executed. */
    context: z.union([z.string().max(16_384), z.record(z.string(), z.unknown())]).optional().default({}),
    priority: prioritySchema.optional().default('MEDIUM'),
  }),
  /** Return the plan without executing it. */
  dry_run: z.boolean().optional().default(false),
  /** A retried request with the same key returns the first result instead of executing twice. */
  idempotency_key: z.string().min(1).max(200).optional(),
});
export type ExecuteCommandRequest = z.input<typeof executeCommandRequestSchema>;
export type ParsedExecuteCommandRequest = z.output<typeof executeCommandRequestSchema>;

export const OVERALL_STATUSES = ['success', 'error', 'timeout', 'rejected'] as const;
export const overallStatusSchema = z.enum(OVERALL_STATUSES);
export type OverallStatus = z.infer<typeof overallStatusSchema>;

export const commandPlanSchema = z.object({
  operation: operationSchema,
  target: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});
export type CommandPlan = z.infer<typeof commandPlanSchema>;

export const executeCommandResponseSchema = z.object({
  request_id: z.string(),
  timestamp_processed_utc: z.string(),
  overall_status: overallStatusSchema,
  execution_details: z.object({
    /** The equivalent `docker …` command line, for humans. Never executed through a shell. */
    command: z.string(),
    execution_result: z.unknown(),
    execution_time_ms: z.number(),
  }),
  plan: commandPlanSchema.optional(),
  /** Why a request was rejected, and what would have been accepted. */
  reason: z.string().optional(),
  /** Machine-readable rejection reason (`forbidden_intent`, `not_allowlisted`, `rate_limited`, …). */
  reason_code: z.string().optional(),
  /** Intents the gateway would have accepted, when it could not read this one. */
  accepted_examples: z.array(z.string()).optional(),
  dry_run: z.boolean().optional(),
});
export type ExecuteCommandResponse = z.infer<typeof executeCommandResponseSchema>;
