import { z } from 'zod';
import { operationSchema } from './gateway.js';

/**
 * The command gateway's `GET /policy`: its effective policy for one source — which targets are
 * allowlisted, which operations that source may request, and where each rate-limited operation
 * stands per allowlisted target — so a caller can know what would run before asking.
 */

export const gatewayPolicyQuerySchema = z.object({
  /** The source to report on; default the caller's own (a service token's name, `atb-cli` for people). Required for the administrator token. */
  source_id: z.string().min(1).max(128).optional(),
});
export type GatewayPolicyQuery = z.infer<typeof gatewayPolicyQuerySchema>;

export const gatewayPolicyResponseSchema = z.object({
  source_id: z.string(),
  principal: z.object({ name: z.string(), kind: z.string(), role: z.string() }),
  /** Operations this source may request (empty: a source the policy does not list). */
  operations: z.array(operationSchema),
  targets: z.object({
    /** Allowlisted container names. */
    names: z.array(z.string()),
    /** A container carrying any of these `key: value` labels is allowlisted too. */
    labels: z.record(z.string(), z.string()),
  }),
  rate_limits: z.array(
    z.object({
      operation: operationSchema,
      max: z.number().int(),
      window_seconds: z.number().int(),
      /** Per allowlisted container name: operations counted in the window now, and how many are left. */
      targets: z.array(z.object({ target: z.string(), used: z.number().int(), remaining: z.number().int(), retry_in_seconds: z.number().int().nullable() })),
    }),
  ),
  checked_at: z.string(),
});
export type GatewayPolicyResponse = z.infer<typeof gatewayPolicyResponseSchema>;

/** Whether the policy lets its source run `operation` on `target` (by name, or by one of the target's labels). */
export function policyAllows(
  policy: Pick<GatewayPolicyResponse, 'operations' | 'targets'>,
  operation: string,
  target: { name: string; labels?: Record<string, string> | undefined },
): { ok: true } | { ok: false; reason: string } {
  if (!(policy.operations as string[]).includes(operation)) {
    return { ok: false, reason: `operation ${operation} is not allowed for this source (allowed: ${policy.operations.join(', ') || 'none'})` };
  }
  const byName = policy.targets.names.includes(target.name);
  const byLabel = Object.entries(target.labels ?? {}).some(([key, value]) => policy.targets.labels[key] === value);
  if (!byName && !byLabel) return { ok: false, reason: `target ${target.name} is not on the gateway's allowlist` };
  return { ok: true };
}
