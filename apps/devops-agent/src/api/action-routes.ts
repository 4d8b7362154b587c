import {
  actionListResponseSchema,
  actionSchema,
  approveActionRequestSchema,
  idParamsSchema,
  listActionsQuerySchema,
  rejectActionRequestSchema,
} from '@atb/contracts';
import { type App, NotFoundError } from '@atb/service-kit';
import { type ApprovalPorts, approveAction, rejectAction } from '../policy/approvals.js';

/**
 * Actions and approvals: `GET /actions`, `GET /actions/:id`, `POST /actions/:id/approve|reject`.
 * The decisions are behind the API token (`auth/protected-routes.ts`); `principal` names that token in
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
        querystring: listActionsQuerySchema,
        response: { 200: actionListResponseSchema },
      },
    },
    async (request) => {
      const actions = await dependencies.actions.list(request.query);
      return { actions, count: actions.length };
    },
  );

  app.get('/actions/:id', { schema: { tags: ['actions'], summary: 'One action', params: idParamsSchema, response: { 200: actionSchema } } }, async (request) => {
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
        params: idParamsSchema,
        body: approveActionRequestSchema,
        response: { 200: actionSchema },
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
        params: idParamsSchema,
        body: rejectActionRequestSchema,
        response: { 200: actionSchema },
      },
    },
    async (request) => rejectAction(dependencies, request.params.id, request.body.actor, request.body.reason, authentication),
  );
}
