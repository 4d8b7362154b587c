import { afterEach, describe, expect, it } from 'vitest';
import { alert, AUTHORIZED, eventually, issueToken, notification, startAgent } from './support/agent-harness.js';
import { cookieFrom, csrfFrom, dashboardSignIn } from './support/dashboard-session.js';

type Started = Awaited<ReturnType<typeof startAgent>>;

describe('dashboard sign-in', () => {
  let started: Started | undefined;
  afterEach(async () => {
    await started?.close();
    started = undefined;
  });

  it('production requires sign-in to read by default; a development agent reads signed out unless told otherwise', async () => {
    const base = { ENVIRONMENT: 'production', WEBHOOK_BEARER_TOKEN: 'webhook-token-webhook-token', AI_COMMAND_GATEWAY_TOKEN: 'gateway-token-gateway', AGENT_API_TOKEN: 'agent-token-agent-token', AUDIT_HMAC_KEY: 'k'.repeat(32) };
    const { dashboardSignInRequired } = await import('../src/composition/open-dashboard-auth.js');
    const { readConfig } = await import('../src/config.js');
    expect(dashboardSignInRequired(readConfig(base))).toBe(true);
    expect(dashboardSignInRequired(readConfig({ ...base, DASHBOARD_SIGN_IN_REQUIRED: 'false' }))).toBe(false);
    expect(dashboardSignInRequired(readConfig({}))).toBe(false);
    expect(dashboardSignInRequired(readConfig({ AGENT_API_READ_AUTH: 'true' }))).toBe(true);
    expect(() => readConfig({ DASHBOARD_PROXY_USER_HEADER: 'X-Forwarded-User' })).toThrow(/DASHBOARD_TRUSTED_PROXIES/);
    expect(() => readConfig({ DASHBOARD_PROXY_ROLES: 'alice=root' })).toThrow(/DASHBOARD_PROXY_ROLES/);
  });

  it('a session cookie is HttpOnly and SameSite=Strict; a revoked or expired token ends its session and cannot sign in; a sign-in post without its one-time value is 403', async () => {
    started = await startAgent({ DASHBOARD_SIGN_IN_REQUIRED: 'true' });
    const agent = started.agent;
    const token = await issueToken(agent, { name: 'alice', role: 'operator' });
    const { cookie, setCookie } = await dashboardSignIn(agent, token);
    expect(setCookie.find((value) => value.startsWith('atb_session='))).toMatch(/; Path=\/dashboard; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    expect((await agent.app.inject({ url: '/dashboard', headers: { cookie } })).body).toContain('Signed in as <strong id="principal">alice</strong>');
    // A sign-in form post without the one-time value (a cross-site login) is refused.
    const replay = await agent.app.inject({ method: 'POST', url: '/dashboard/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${token}` });
    expect(replay.statusCode).toBe(403);
    expect(cookieFrom(replay.headers['set-cookie'], 'atb_session')).toBeUndefined();

    expect((await agent.app.inject({ method: 'DELETE', url: '/tokens/alice', headers: AUTHORIZED })).statusCode).toBe(200);
    expect(await agent.app.inject({ url: '/dashboard', headers: { cookie } })).toMatchObject({ statusCode: 303, headers: { location: '/dashboard/sign-in' } });
    const refused = await agent.app.inject({ url: '/dashboard/sign-in' });
    const again = await agent.app.inject({
      method: 'POST',
      url: '/dashboard/sign-in',
      headers: { cookie: cookieFrom(refused.headers['set-cookie'], 'atb_sign_in') ?? '', 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token, _csrf: csrfFrom(refused.body) ?? '' }).toString(),
    });
    expect(again.statusCode).toBe(401);
    expect(again.body).toContain('this token was revoked');

    // An expired token neither signs in nor keeps the session it opened.
    const brief = await issueToken(agent, { name: 'bob', role: 'operator', expires_in_seconds: 1 });
    const session = await dashboardSignIn(agent, brief);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await agent.app.inject({ url: '/dashboard', headers: { cookie: session.cookie } })).toMatchObject({ statusCode: 303, headers: { location: '/dashboard/sign-in' } });
    const form = await agent.app.inject({ url: '/dashboard/sign-in' });
    const late = await agent.app.inject({
      method: 'POST',
      url: '/dashboard/sign-in',
      headers: { cookie: cookieFrom(form.headers['set-cookie'], 'atb_sign_in') ?? '', 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: brief, _csrf: csrfFrom(form.body) ?? '' }).toString(),
    });
    expect(late.statusCode).toBe(401);
    expect(late.body).toContain('this token has expired');
  });

  it('behind a trusted proxy its user header signs in, with the configured role; from any other address it is ignored', async () => {
    started = await startAgent({
      DASHBOARD_SIGN_IN_REQUIRED: 'true',
      DASHBOARD_PROXY_USER_HEADER: 'X-Forwarded-User',
      DASHBOARD_TRUSTED_PROXIES: '127.0.0.1',
      DASHBOARD_PROXY_ROLES: 'alice=operator',
    });
    const app = started.agent.app;
    await app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' })]) });
    const action = await eventually(async () => (await app.inject({ url: '/actions?status=pending' })).json().actions[0] as { id: string } | undefined, 5000, 'a pending action');

    const spoofed = await app.inject({ url: '/dashboard', headers: { 'x-forwarded-user': 'alice' }, remoteAddress: '10.1.2.3' });
    expect(spoofed).toMatchObject({ statusCode: 303, headers: { location: '/dashboard/sign-in' } });

    const viaProxy = await app.inject({ url: '/dashboard', headers: { 'x-forwarded-user': 'alice', 'x-forwarded-proto': 'https' }, remoteAddress: '127.0.0.1' });
    expect(viaProxy.statusCode).toBe(200);
    expect(viaProxy.body).toContain('Signed in as <strong id="principal">alice</strong> <span class="muted" id="role">(operator)</span>');
    const setCookie = String(viaProxy.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict; Secure$/); // the proxy says it served TLS
    const cookie = cookieFrom(viaProxy.headers['set-cookie'], 'atb_session')!;
    expect(viaProxy.body).toContain('class="approve"');
    const bob = await app.inject({ url: '/dashboard', headers: { 'x-forwarded-user': 'bob' }, remoteAddress: '127.0.0.1' });
    expect(bob.body).toContain('Signed in as <strong id="principal">bob</strong> <span class="muted" id="role">(viewer)</span>');
    expect(bob.body).toContain('Deciding needs the operator role; bob is viewer.');
    expect(bob.body).not.toContain('class="approve"');
    const approved = await app.inject({
      method: 'POST',
      url: `/dashboard/actions/${action.id}/approve`,
      headers: { cookie, 'x-forwarded-user': 'alice', 'content-type': 'application/x-www-form-urlencoded' },
      remoteAddress: '127.0.0.1',
      payload: new URLSearchParams({ _csrf: csrfFrom(viaProxy.body)! }).toString(),
    });
    expect(approved.statusCode).toBe(303);
    const audit = (await app.inject({ url: '/audit?action=action-approved' })).json().records as { actor: string; data: Record<string, unknown> }[];
    expect(audit).toEqual([expect.objectContaining({ actor: 'alice', data: expect.objectContaining({ authenticated_via: 'proxy', principal: { id: 'proxy:alice', name: 'alice', kind: 'person', role: 'operator' } }) })]);

  });
});
