import type { App } from '@atb/service-kit';
import { z } from 'zod';
import type { DashboardAuth } from '../auth/dashboard-auth.js';
import { controlMonitoring, type MonitoringControlPorts } from '../policy/monitoring-control.js';
import { checkForm } from './form-guard.js';
import { sendHtml } from './respond.js';
import { renderRefusal } from './sign-in-view.js';

const hidden = { hide: true, tags: ['dashboard'] };
const commandParams = z.object({ command: z.enum(['start', 'stop']) });
const controlForm = z.object({ _csrf: z.string().max(200).optional() });

/**
 * `POST /dashboard/monitoring/start|stop`: the overview's Start / Stop monitoring form. The same
 * checks as the decision forms (session, CSRF token, operator role: 303 to sign-in, else 403
 * naming why), then the same control and audit as `POST /control/start-monitoring|stop-monitoring`
 * under the session's principal; the answer is 303 back to the dashboard.
 */
export function registerMonitoringForms(app: App, auth: DashboardAuth, control: MonitoringControlPorts): void {
  app.post(
    '/dashboard/monitoring/:command',
    { schema: { ...hidden, summary: 'Start or stop monitoring from the dashboard (form)', params: commandParams, body: controlForm } },
    async (request, reply) => {
      const { command } = request.params;
      const nothing = `monitoring was not ${command === 'start' ? 'started' : 'stopped'}`;
      const check = await checkForm(auth, request, reply, request.body._csrf, { doing: 'starting and stopping monitoring', nothing });
      if ('signIn' in check) return reply.redirect('/dashboard/sign-in', 303);
      if ('refused' in check) return sendHtml(reply, renderRefusal({ status: 403, message: check.refused, back: '/dashboard' }), 403);
      await controlMonitoring(control, command, check.decider);
      return reply.redirect('/dashboard', 303);
    },
  );
}
