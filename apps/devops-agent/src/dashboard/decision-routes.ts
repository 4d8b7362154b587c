import { AppError, type App } from '@atb/service-kit';
import { z } from 'zod';
import type { DashboardAuth } from '../auth/dashboard-auth.js';
import { type ApprovalPorts, approveAction, rejectAction } from '../policy/approvals.js';
import { checkForm } from './form-guard.js';
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
      const check = await checkForm(auth, request, reply, request.body._csrf, { doing: 'deciding', nothing: 'nothing was decided' });
      if ('signIn' in check) return reply.redirect('/dashboard/sign-in', 303);
      if ('refused' in check) return refuse(403, check.refused);
      const { decider } = check;
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
