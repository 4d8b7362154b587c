import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DashboardAuth } from '../auth/dashboard-auth.js';
import type { Decider } from '../policy/approvals.js';

/** What a dashboard form post may do: act as `decider`, go to sign-in (no session), or be refused (403) for the reason `refused` gives. */
export type FormCheck = { decider: Decider } | { signIn: true } | { refused: string };

/**
 * The checks every state-changing dashboard form passes, in order: a signed-in session, its
 * CSRF token, the operator role. The decider is the session's principal, authenticated `via`
 * the session (or the trusted proxy that opened it). `doing` names the act in a refusal
 * ("deciding"), `nothing` what did not happen ("nothing was decided").
 */
export async function checkForm(
  auth: DashboardAuth,
  request: FastifyRequest,
  reply: FastifyReply,
  csrf: string | undefined,
  words: { doing: string; nothing: string },
): Promise<FormCheck> {
  const signedIn = await auth.identify(request, reply);
  if (!signedIn) return { signIn: true };
  if (!auth.csrfValid(signedIn, csrf)) return { refused: `missing or wrong CSRF token: reload the page and try again; ${words.nothing}` };
  const { principal } = signedIn.session;
  if (!auth.viewer(request, signedIn).mayDecide) return { refused: `${words.doing} needs the operator role; ${principal.name} has ${principal.role}` };
  return { decider: { principal, via: signedIn.session.origin === 'proxy' ? 'proxy' : 'session' } };
}
