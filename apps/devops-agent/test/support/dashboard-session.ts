import type { DevopsAgentService } from '../../src/app.js';

/** The `name=value` of a `Set-Cookie` header named `name` (the last one set), or undefined. */
export function cookieFrom(setCookie: string | string[] | undefined, name: string): string | undefined {
  const cookies = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const match = cookies.filter((cookie) => cookie.startsWith(`${name}=`)).at(-1);
  return match?.split(';')[0];
}

/** The value of the hidden `_csrf` input in a page. */
export function csrfFrom(body: string): string | undefined {
  return /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
}

/**
 * Signs in to the dashboard the way the browser does, in-process: the sign-in page (its
 * one-time cookie and form value), then the form post with `token`. Returns the session cookie
 * and the session's CSRF token (read from the dashboard page).
 */
export async function dashboardSignIn(agent: DevopsAgentService, token: string): Promise<{ cookie: string; csrf: string; setCookie: string[] }> {
  const page = await agent.app.inject({ url: '/dashboard/sign-in' });
  const nonceCookie = cookieFrom(page.headers['set-cookie'], 'atb_sign_in');
  const nonce = csrfFrom(page.body);
  if (!nonceCookie || !nonce) throw new Error(`the sign-in page set no nonce (${page.statusCode})`);
  const signedIn = await agent.app.inject({
    method: 'POST',
    url: '/dashboard/sign-in',
    headers: { cookie: nonceCookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token, _csrf: nonce }).toString(),
  });
  const cookie = cookieFrom(signedIn.headers['set-cookie'], 'atb_session');
  if (signedIn.statusCode !== 303 || !cookie) throw new Error(`sign-in answered ${signedIn.statusCode}: ${signedIn.body}`);
  const dashboard = await agent.app.inject({ url: '/dashboard', headers: { cookie } });
  const csrf = csrfFrom(dashboard.body);
  if (!csrf) throw new Error('the signed-in dashboard carries no CSRF token');
  const setCookie = signedIn.headers['set-cookie'];
  return { cookie, csrf, setCookie: Array.isArray(setCookie) ? setCookie : [String(setCookie)] };
}
