import type { GatewayPolicyResponse, Operation } from '@atb/contracts';
import { ForbiddenError, InputError, type Principal } from '@atb/service-kit';
import type { Policy } from './policy.js';
import { checkSourceRights, sourceRightsOf } from './source-rights.js';
import type { TargetGuard } from './target-guard.js';

/**
 * The policy in force for one source, as the caller may see it: the source is the one asked
 * for (which the caller's token must be allowed to act as) or the caller's own; the
 * administrator token, which may act as any source, has to name one.
 */
export async function effectivePolicy(
  policy: Policy,
  guard: Pick<TargetGuard, 'rateState'>,
  principal: Principal,
  requested: string | undefined,
): Promise<GatewayPolicyResponse> {
  const rights = sourceRightsOf(principal);
  const sourceId = requested ?? (rights === 'any' ? undefined : rights);
  if (sourceId === undefined) {
    if (rights === 'any') throw new InputError('source_id is required for the administrator token (it may act as any source)', { field: 'query.source_id' });
    throw new ForbiddenError(`${principal.name} (${principal.role}) may not request operations; that needs the operator role`, { field: 'query.source_id' });
  }
  const refusal = checkSourceRights(principal, sourceId);
  if (refusal) throw new ForbiddenError(refusal.reason, { field: 'query.source_id', details: { reason_code: refusal.code } });
  const rateLimits: GatewayPolicyResponse['rate_limits'] = [];
  for (const [operation, limit] of Object.entries(policy.rate_limits) as [Operation, { max: number; window_seconds: number }][]) {
    const targets = [];
    for (const target of policy.targets.names) {
      const state = await guard.rateState(operation, target);
      if (state) targets.push({ target, ...state });
    }
    rateLimits.push({ operation, max: limit.max, window_seconds: limit.window_seconds, targets });
  }
  return {
    source_id: sourceId,
    principal: { name: principal.name, kind: principal.kind, role: principal.role },
    operations: policy.sources[sourceId]?.operations ?? [],
    targets: { names: [...policy.targets.names], labels: { ...policy.targets.labels } },
    rate_limits: rateLimits,
    checked_at: new Date().toISOString(),
  };
}
