import { type App, NotFoundError } from '@atb/service-kit';
import { z } from 'zod';
import { type ApprovalPorts, approveAction, rejectAction } from '../policy/approvals.js';
import { ACTION_STATUSES } from '../store/agent-store.js';

const idParams = z.object({ id: z.string().min(1).max(100) });
const actor = z.string().trim().min(1).max(200);

/**
 * Actions and approvals: `GET /actions`, `GET /actions/:id`, `POST /actions/:id/approve|reject`.
 * The decisions are behind the API token (`auth/bearer-hook.ts`); `principal` names that token in
 * the audit next to the caller-supplied `actor`.
 */
export function registerActionRoutes(app: App, dependencies: ApprovalPorts, options: { principal: string }): void {
  const authentication = { authenticated: true, principal: options.principal };
  app.get(
    '/actions',
    {
      schema: {
        tags: ['actions'],
        summary: 'Actions, newest first; ?status=pending lists those waiting for approval',
        querystring: z.object({
          status: z.enum(ACTION_STATUSES).optional(),
          incident_id: z.string().min(1).max(100).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
      },
    },
    async (request) => {
      const actions = await dependencies.actions.list(request.query);
      return { actions, count: actions.length };
    },
  );

  app.get('/actions/:id', { schema: { tags: ['actions'], summary: 'One action', params: idParams } }, async (request) => {
    const action = await dependencies.actions.get(request.params.id);
    if (!action) throw new NotFoundError(`no action ${request.params.id}`, { field: 'id' });
    return action;
  });

  app.post(
    '/actions/:id/approve',
    {
      schema: {
        tags: ['actions'],
        summary: 'Approve a pending action (it then runs once through the gateway)',
        params: idParams,
        body: z.object({ actor, reason: z.string().max(2000).optional() }),
      },
    },
    async (request) => approveAction(dependencies, request.params.id, request.body.actor, request.body.reason, authentication),
  );

  app.post(
    '/actions/:id/reject',
    {
      schema: {
        tags: ['actions'],
        summary: 'Reject a pending action (nothing runs; the incident is escalated)',
        params: idParams,
        body: z.object({ actor, reason: z.string().trim().min(1).max(2000) }),
      },
    },
    async (request) => rejectAction(dependencies, request.params.id, request.body.actor, request.body.reason, authentication),
  );
}
