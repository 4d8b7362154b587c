import { gatewayPolicyQuerySchema, gatewayPolicyResponseSchema } from '@atb/contracts';
import { type App, AuthenticationError } from '@atb/service-kit';
import { effectivePolicy } from '../policy/effective-policy.js';
import type { Policy } from '../policy/policy.js';
import type { TargetGuard } from '../policy/target-guard.js';

/** `GET /policy`: the effective policy for the calling source (authenticated like every route). */
export function registerPolicyRoute(app: App, policy: Policy, guard: TargetGuard): void {
  app.get(
    '/policy',
    {
      schema: {
        tags: ['policy'],
        summary: "The effective policy for the caller's source: allowlisted targets, its operations, rate-limit state",
        description: 'Requires Authorization: Bearer <token>. source_id defaults to the caller\'s own source; the administrator token must name one.',
        querystring: gatewayPolicyQuerySchema,
        response: { 200: gatewayPolicyResponseSchema },
      },
    },
    async (request) => {
      if (!request.principal) throw new AuthenticationError('missing bearer token', { field: 'headers.authorization' });
      return effectivePolicy(policy, guard, request.principal, request.query.source_id);
    },
  );
}
