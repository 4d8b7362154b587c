import type { App } from '@atb/service-kit';
import { z } from 'zod';
import type { DashboardAuth } from '../auth/dashboard-auth.js';
import { sendHtml } from './respond.js';
import { renderRefusal, renderSignIn } from './sign-in-view.js';

const hidden = { hide: true, tags: ['dashboard'] };
const signInForm = z.object({ token: z.string().max(1000).optional(), _csrf: z.string().max(200).optional() });
const signOutForm = z.object({ _csrf: z.string().max(200).optional() });

/**
 * `GET|POST /dashboard/sign-in` (a token; a new session id each time, so a planted cookie never
 * becomes signed in) and `POST /dashboard/sign-out` (with the session's CSRF token; the session
 * is deleted server-side). Both forms are refused (403) without their CSRF value.
 */
export function registerSignIn(app: App, auth: DashboardAuth): void {
  app.get('/dashboard/sign-in', { schema: { ...hidden, summary: 'Sign-in page (HTML)' } }, async (request, reply) => {
    if (await auth.identify(request, reply)) return reply.redirect('/dashboard', 303);
    return sendHtml(reply, renderSignIn({ nonce: auth.signInNonce(request, reply) }));
  });

  app.post('/dashboard/sign-in', { schema: { ...hidden, summary: 'Sign in with a token (form)', body: signInForm } }, async (request, reply) => {
    const result = await auth.signIn(request, reply, { token: request.body.token, csrf: request.body._csrf });
    if ('refused' in result) {
      const status = result.refused === 'csrf' ? 403 : 401;
      return sendHtml(reply, renderSignIn({ nonce: auth.signInNonce(request, reply), error: result.reason }), status);
    }
    request.log.info({ principal: result.session.principal.name, role: result.session.principal.role }, 'dashboard sign-in');
    return reply.redirect('/dashboard', 303);
  });

  app.post('/dashboard/sign-out', { schema: { ...hidden, summary: 'Sign out (form)', body: signOutForm } }, async (request, reply) => {
    const signedIn = await auth.identify(request, reply);
    if (!signedIn) return reply.redirect('/dashboard/sign-in', 303);
    if (!auth.csrfValid(signedIn, request.body._csrf)) {
      return sendHtml(reply, renderRefusal({ status: 403, message: 'missing or wrong CSRF token: reload the page and try again', back: '/dashboard' }), 403);
    }
    await auth.signOut(request, reply, signedIn);
    return reply.redirect('/dashboard/sign-in', 303);
  });
}
