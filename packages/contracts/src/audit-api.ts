import { z } from 'zod';
import type { QueryInput } from './http-api.js';

/** The audit routes of the devops agent and the command gateway: `GET /audit`, `GET /audit/verify`. */

export const auditRecordSchema = z.object({
  seq: z.number().int(),
  timestamp: z.string(),
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  data: z.record(z.string(), z.unknown()),
  prev_hash: z.string(),
  hash: z.string(),
});
export type AuditRecordContract = z.infer<typeof auditRecordSchema>;

export const auditListResponseSchema = z.object({
  records: z.array(auditRecordSchema),
  count: z.number().int(),
  /** Pass as `after_seq` for the next page; null when there is none. */
  next_after_seq: z.number().int().nullable(),
});
export type AuditListResponse = z.infer<typeof auditListResponseSchema>;

/** The hash chain's check: intact with its head, or the first record that breaks it. */
export const auditVerificationSchema = z.union([
  z.object({
    valid: z.literal(true),
    count: z.number().int(),
    head: z.string(),
    /** Whether the chain is HMAC-keyed; absent on an unkeyed log. */
    keyed: z.boolean().optional(),
    /** Records at the start of a keyed chain written before it was keyed (plain SHA-256). */
    legacy_unkeyed: z.number().int().optional(),
    /** Highest sequence number the anchor file outside the database records; absent without one. */
    anchored_seq: z.number().int().optional(),
  }),
  z.object({ valid: z.literal(false), count: z.number().int(), broken_at: z.number().int(), reason: z.string() }),
]);
export type AuditVerificationContract = z.infer<typeof auditVerificationSchema>;

const isoTime = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time such as 2026-01-31T12:00:00Z' });

/** `GET /audit` of the command gateway: unknown parameters are refused, times are ISO 8601. */
export const gatewayAuditQuerySchema = z
  .object({
    action: z.string().min(1).max(64).optional(),
    subject: z.string().min(1).max(256).optional(),
    actor: z.string().min(1).max(128).optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    after_seq: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** `GET /audit` of the devops agent. */
export const agentAuditQuerySchema = z.object({
  actor: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(200).optional(),
  subject: z.string().min(1).max(200).optional(),
  since: z.string().min(1).max(40).optional(),
  until: z.string().min(1).max(40).optional(),
  after_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AgentAuditQuery = QueryInput<typeof agentAuditQuerySchema>;
