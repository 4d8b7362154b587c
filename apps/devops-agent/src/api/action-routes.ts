import {
  actionListResponseSchema,
  actionSchema,
  approveActionRequestSchema,
  idParamsSchema,
  listActionsQuerySchema,
  rejectActionRequestSchema,
} from '@atb/contracts';
import { type App, assertRole, NotFoundError } from '@atb/service-kit';
import type { FastifyRequest } from 'fastify';
import { type ApprovalPorts, approveAction, type Decider, rejectAction } from '../policy/approvals.js';

/** The decider of an API request: its bearer token's principal (the operator role is checked by `auth/protected-routes.ts`). */
const tokenDecider = (request: FastifyRequest): Decider => ({ principal: assertRole(request, 'operator'), via: 'token' });

/**
 * Actions and approvals: `GET /actions`, `GET /actions/:id`, `POST /actions/:id/approve|reject`.
 * The decisions are behind a token with the operator role (`auth/protected-routes.ts`); the audit
 * and `approved_by` name that token's principal.
 */
export function registerActionRoutes(app: App, dependencies: ApprovalPorts): void {
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
    async (request) => approveAction(dependencies, request.params.id, tokenDecider(request), request.body.reason),
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
    async (request) => rejectAction(dependencies, request.params.id, tokenDecider(request), request.body.reason),
  );
}
