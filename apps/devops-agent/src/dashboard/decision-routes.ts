import { AppError, type App } from '@atb/service-kit';
import { z } from 'zod';
import type { DashboardAuth } from '../auth/dashboard-auth.js';
import { type ApprovalPorts, approveAction, type Decider, rejectAction } from '../policy/approvals.js';
import { sendHtml } from './respond.js';
import { renderRefusal } from './sign-in-view.js';

const hidden = { hide: true, tags: ['dashboard'] };
const decisionForm = z.object({
  _csrf: z.string().max(200).optional(),
  reason: z.string().max(2000).optional(),
  /** Where to go back to: a dashboard page only. */
  back: z.string().max(300).regex(/^\/dashboard(\/incidents\/[^/?#]+)?$/, 'expected a dashboard page').optional(),
});
const decisionParams = z.object({ id: z.string().min(1).max(100), decision: z.enum(['approve', 'reject']) });

/**
 * `POST /dashboard/actions/:id/approve|reject`: the decision forms. They need a signed-in session
 * (303 to sign-in without one), its CSRF token (403 without), the operator role (403), and then go
 * through the same approval stage as the API with the session's principal as the decider; the
 * answer is 303 back to the page with `?decided=<id>`, or the policy's refusal (404, 409, 422) as a page.
 */
export function registerDecisionForms(app: App, auth: DashboardAuth, approvals: ApprovalPorts): void {
  app.post(
    '/dashboard/actions/:id/:decision',
    { schema: { ...hidden, summary: 'Approve or reject from the dashboard (form)', params: decisionParams, body: decisionForm } },
    async (request, reply) => {
      const back = request.body.back ?? '/dashboard';
      const refuse = (status: number, message: string) => sendHtml(reply, renderRefusal({ status, message, back }), status);
      const signedIn = await auth.identify(request, reply);
      if (!signedIn) return reply.redirect('/dashboard/sign-in', 303);
      if (!auth.csrfValid(signedIn, request.body._csrf)) return refuse(403, 'missing or wrong CSRF token: reload the page and try again; nothing was decided');
      const { principal } = signedIn.session;
      if (!auth.viewer(request, signedIn).mayDecide) return refuse(403, `deciding needs the operator role; ${principal.name} has ${principal.role}`);
      const decider: Decider = { principal, via: signedIn.session.origin === 'proxy' ? 'proxy' : 'session' };
      const reason = request.body.reason?.trim() || undefined;
      try {
        if (request.params.decision === 'approve') await approveAction(approvals, request.params.id, decider, reason);
        else if (!reason) return refuse(422, 'reason: a reason is required to reject');
        else await rejectAction(approvals, request.params.id, decider, reason);
      } catch (error) {
        if (error instanceof AppError && error.statusCode < 500) return refuse(error.statusCode, error.message);
        throw error;
      }
      return reply.redirect(`${back}?decided=${encodeURIComponent(request.params.id)}`, 303);
    },
  );
}
