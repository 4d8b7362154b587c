import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DASHBOARD_CONTENT_SECURITY_POLICY } from '../src/dashboard/dashboard-routes.js';
import { AGENT_TOKEN, alert, AUTHORIZED, eventually, issueToken, notification, RealGateway, startAgent } from './support/agent-harness.js';
import { csrfFrom, dashboardSignIn } from './support/dashboard-session.js';

type Started = Awaited<ReturnType<typeof startAgent>>;

const SCRIPT = '<script>alert("xss")</script>';
const IMG = '"><img src=x onerror=alert(1)>';

/** Every `<script` tag in a page must load the dashboard's own script; nothing inline. */
function scriptTags(body: string): string[] {
  return body.match(/<script\b[^>]*>/gi) ?? [];
}

function expectNoInjectedMarkup(body: string): void {
  expect(body).not.toContain('<img');
  expect(body).not.toMatch(/<script(?![^>]*src="\/dashboard\/assets\/dashboard\.js")/i);
  // An event-handler attribute inside a real tag (escaped text never contains a raw "<").
  expect(body).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
  expect(body).not.toContain('href="javascript:');
}

describe('dashboard (in-process)', () => {
  let started: Started | undefined;
  let gateway: RealGateway;

  beforeEach(async () => {
    gateway = new RealGateway({ targets: ['predictor-1', 'market-predictor'] });
    await gateway.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, MARKET_PREDICTOR_URL: gateway.url, SAFETY_MODE: 'true' });
  });
  afterEach(async () => {
    await started?.close();
    started = undefined;
    await gateway.stop();
  });

  const app = () => started!.agent.app;
  const get = (url: string) => app().inject({ url });
  const pendingAction = () =>
    eventually(async () => (await get('/actions?status=pending')).json().actions[0] as { id: string; incident_id: string } | undefined, 5000, 'a pending action');

  it('serves the page with a strict CSP, no inline script, local assets and every panel', async () => {
    const page = await get('/dashboard');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toBe(DASHBOARD_CONTENT_SECURITY_POLICY);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(scriptTags(page.body)).toEqual(['<script src="/dashboard/assets/dashboard.js" defer>']);
    expect(page.body).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
    expect(page.body).not.toContain('<style');
    // No typed name and no token in the page or the script: the session cookie (HttpOnly) is the credential.
    expect(page.body).not.toMatch(/id="actor"|id="api-token"/);
    expect(page.body).toContain('<a href="/dashboard/sign-in">Sign in</a>');
    const tokenScript = (await get('/dashboard/assets/dashboard.js')).body;
    expect(tokenScript).not.toMatch(/document\.cookie|localStorage|sessionStorage|authorization/);
    expect(tokenScript).toContain("window.location.assign('/dashboard/sign-in')");
    expect(page.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    for (const panel of ['overview', 'pending-actions', 'incidents', 'learning', 'audit']) {
      expect(page.body).toContain(`id="${panel}" class="panel" data-fragment="/dashboard/fragments/${panel}"`);
      const fragment = await get(`/dashboard/fragments/${panel}`);
      expect(fragment.statusCode, panel).toBe(200);
      expect(fragment.headers['content-security-policy']).toBe(DASHBOARD_CONTENT_SECURITY_POLICY);
    }
    expect(page.body).toContain('on — every action waits for a human');
    expect(page.body).toContain('chain valid');

    const script = await get('/dashboard/assets/dashboard.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain("credentials: 'same-origin'");
    const style = await get('/dashboard/assets/dashboard.css');
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');

    expect((await get('/dashboard/fragments/secrets')).statusCode).toBe(422);
    const openApi = await get('/docs/json');
    expect(openApi.statusCode).toBe(200);
    expect(Object.keys(openApi.json().paths)).not.toContain('/dashboard'); // HTML, not API: hidden from /docs
    const missing = await get(`/dashboard/incidents/${encodeURIComponent(SCRIPT)}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('No incident &lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;');
    expectNoInjectedMarkup(missing.body);
  });

  it('escapes labels, annotations and links that came from an alert on every view', async () => {
    const hostile = alert(
      { alertname: `${SCRIPT}MarketPredictorDown`, service: `market-predictor${IMG}`, container: 'predictor-1', severity: 'critical', extra: `${IMG}${SCRIPT}` },
      { annotations: { summary: SCRIPT, description: IMG, runbook: `'><svg onload=alert(1)>` } },
    );
    hostile.generatorURL = 'javascript:alert(document.cookie)';
    expect((await app().inject({ method: 'POST', url: '/webhook/alerts', payload: notification([hostile]) })).statusCode).toBe(200);
    const action = await pendingAction();
    const incidentId = action.incident_id;
    await started!.agent.agent.store.changes.commit({
      incident: {
        id: incidentId,
        patch: {
          coding_task: {
            status: 'completed',
            repository: 'market-predictor',
            requirement: `fix ${SCRIPT}`,
            pull_request_url: 'javascript:alert(1)',
            attempts: 1,
            updated_at: new Date().toISOString(),
          },
        },
      },
    });

    const views = ['/dashboard', '/dashboard/fragments/incidents', '/dashboard/fragments/pending-actions', '/dashboard/fragments/audit', `/dashboard/incidents/${incidentId}`, `/dashboard/fragments/incidents/${incidentId}`];
    for (const url of views) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(200);
      expectNoInjectedMarkup(response.body);
      expect(response.body, url).not.toContain('<svg');
    }
    const detail = (await get(`/dashboard/incidents/${incidentId}`)).body;
    expect(detail).toContain('&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;MarketPredictorDown');
    const pending = (await get('/dashboard/fragments/pending-actions')).body;
    expect(pending).toContain(`data-action-id="${action.id}"`);
    expect(pending).toContain('&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;MarketPredictorDown');
    expect(detail).toContain('market-predictor&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(detail).toContain('&#39;&gt;&lt;svg onload=alert(1)&gt;');
    expect(detail).toContain('<dd>javascript:alert(1)</dd>');
    expect(detail).toContain('<td>graph</td>'); // the javascript: generatorURL is not linked
    expect(scriptTags(detail)).toHaveLength(1);
    expect(detail).toContain(`data-fragment="/dashboard/fragments/incidents/${incidentId}"`);
    // The evidence the analysis was made on: its facts and each source's status.
    expect(detail).toContain('<h3>Evidence');
    expect(detail).toContain('runtime <span class="badge good">ok</span>');
    expect(detail).toContain('<code>process-running</code>');
  });

  it('shows an incident: analysis with confidence and recommendations, timeline, actions, PR link', async () => {
    await app().inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', severity: 'critical' })]) });
    const action = await pendingAction();
    await started!.agent.agent.store.changes.commit({
      incident: {
        id: action.incident_id,
        patch: {
          coding_task: {
            status: 'accepted',
            repository: 'market-predictor',
            requirement: 'fix it',
            task_id: 'task-7',
            pull_request_url: 'https://forge.example/o/r/pull/7',
            attempts: 1,
            updated_at: new Date().toISOString(),
          },
        },
      },
    });
    const api = (await get(`/incidents/${action.incident_id}`)).json();
    const signedOut = (await get(`/dashboard/incidents/${action.incident_id}`)).body;
    expect(signedOut).not.toContain('<form class="decision"');
    expect(signedOut).toContain('Sign in to decide.');
    const { cookie } = await dashboardSignIn(started!.agent, AGENT_TOKEN);
    const detail = (await app().inject({ url: `/dashboard/incidents/${action.incident_id}`, headers: { cookie } })).body;
    expect(detail).toContain('<dd class="confidence">');
    expect(detail).toContain(`${Math.round(api.analysis.analysis.confidence * 100)}%`);
    expect(detail).toContain(api.analysis.analysis.issue_type);
    for (const recommended of api.analysis.analysis.recommended_actions as { action: string; target: string; risk: string }[]) {
      expect(detail).toContain(`<li>${recommended.action} ${recommended.target} <span class="risk">(risk ${recommended.risk})</span>`);
    }
    for (const event of api.timeline as { type: string }[]) expect(detail).toContain(`<strong>${event.type}</strong>`);
    expect(detail).toContain(`<form class="decision" method="post" action="/dashboard/actions/${action.id}/approve" data-action-id="${action.id}">`);
    expect(detail).toContain('<a href="https://forge.example/o/r/pull/7" rel="noopener noreferrer">');
    expect(detail).toContain('task-7');
    const list = (await get('/dashboard/fragments/incidents')).body;
    expect(list).toContain(`href="/dashboard/incidents/${action.incident_id}"`);
    expect(list).toContain('awaiting_approval');
  });

  it('approving from the dashboard form records the session principal; the JSON API refuses form and text bodies', async () => {
    await app().inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor', container: 'predictor-1' })]) });
    const action = await pendingAction();
    const alice = await issueToken(started!.agent, { name: 'alice', role: 'operator' });
    const { cookie, csrf } = await dashboardSignIn(started!.agent, alice);
    const pending = (await app().inject({ url: '/dashboard/fragments/pending-actions', headers: { cookie } })).body;
    const form = pending.match(/<form class="decision" method="post" action="\/dashboard\/actions\/([^/"]+)\/approve"/);
    expect(form?.[1]).toBe(action.id);
    expect(pending).toContain('data-decision="approve"');
    expect(pending).toContain(`formaction="/dashboard/actions/${action.id}/reject"`);
    expect(csrfFrom(pending)).toBe(csrf);

    // What a cross-site HTML form could send to the JSON API is refused, and changes nothing.
    const urlencoded = await app().inject({ method: 'POST', url: `/actions/${action.id}/approve`, headers: { ...AUTHORIZED, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'reason=x' });
    expect(urlencoded.statusCode).toBeGreaterThanOrEqual(400);
    expect(urlencoded.statusCode).toBeLessThan(500);
    const plain = await app().inject({ method: 'POST', url: `/actions/${action.id}/approve`, headers: { ...AUTHORIZED, 'content-type': 'text/plain' }, payload: '{}' });
    expect(plain.statusCode).toBeGreaterThanOrEqual(400);
    expect(plain.statusCode).toBeLessThan(500);
    // The dashboard's own form without the session's CSRF token, or with a wrong one: 403, nothing decided.
    const post = (body: Record<string, string>) =>
      app().inject({ method: 'POST', url: `/dashboard/actions/${action.id}/approve`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(body).toString() });
    expect((await post({ reason: 'no token' })).statusCode).toBe(403);
    expect((await post({ reason: 'wrong token', _csrf: `${csrf}x` })).statusCode).toBe(403);
    expect((await get(`/actions/${action.id}`)).json().status).toBe('pending');

    // Exactly what the browser sends for the form's Approve button.
    const approved = await post({ _csrf: csrf, back: '/dashboard', reason: '' });
    expect(approved).toMatchObject({ statusCode: 303, headers: { location: `/dashboard?decided=${action.id}` } });
    await eventually(() => gateway.commandRequests().length === 1, 5000, 'the restart request');
    expect(gateway.commandRequests()[0]!.body).toMatchObject({ target_resource: { name: 'predictor-1' }, action_request: { intent: 'restart the predictor-1 container' } });
    const notice = (await app().inject({ url: `/dashboard?decided=${action.id}`, headers: { cookie } })).body;
    expect(notice).toMatch(/restart predictor-1: (approved|running|succeeded) by alice/);

    const audit = (await get(`/audit?subject=${action.incident_id}&action=action-approved`)).json().records as { actor: string; data: Record<string, unknown> }[];
    expect(audit).toEqual([
      expect.objectContaining({ actor: 'alice', data: expect.objectContaining({ action_id: action.id, authenticated_via: 'session', principal: expect.objectContaining({ name: 'alice', role: 'operator' }) }) }),
    ]);
    await eventually(async () => (await get('/dashboard/fragments/pending-actions')).body.includes('Nothing waits for approval.'), 5000, 'an empty pending list');
    const detail = (await app().inject({ url: `/dashboard/incidents/${action.incident_id}`, headers: { cookie } })).body;
    expect(detail).toContain('<strong>action-approved</strong>');
    expect(detail).not.toContain(`data-action-id="${action.id}">\n  <button`);
    // A second decision is refused by the same stage (409), shown as a page.
    const late = await app().inject({
      method: 'POST',
      url: `/dashboard/actions/${action.id}/reject`,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, reason: 'late' }).toString(),
    });
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('not pending');
  });

  it('start / stop monitoring from the overview form: an operator with the CSRF token, audited like the API; a viewer and a missing or wrong token are 403', async () => {
    const monitor = started!.agent.agent.monitor;
    const alice = await dashboardSignIn(started!.agent, await issueToken(started!.agent, { name: 'alice', role: 'operator' }));
    const victor = await dashboardSignIn(started!.agent, await issueToken(started!.agent, { name: 'victor', role: 'viewer' }));
    const overview = async (cookie: string) => (await app().inject({ url: '/dashboard/fragments/overview', headers: { cookie } })).body;
    const post = (command: string, cookie: string, body: Record<string, string>) =>
      app().inject({ method: 'POST', url: `/dashboard/monitoring/${command}`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(body).toString() });

    // A viewer sees the state, no button, and the form post with the viewer's own CSRF token is refused.
    expect(monitor.running).toBe(false);
    expect(await overview(victor.cookie)).toContain('<dd id="monitoring"><span class="badge muted">stopped</span>');
    expect(await overview(victor.cookie)).not.toContain('monitoring-toggle');
    const byViewer = await post('start', victor.cookie, { _csrf: victor.csrf });
    expect(byViewer.statusCode).toBe(403);
    expect(byViewer.body).toContain('starting and stopping monitoring needs the operator role; victor has viewer');
    // The operator's session without its CSRF token, with a wrong one, or with the viewer's: 403; signed out: to sign-in.
    for (const body of [{}, { _csrf: `${alice.csrf}x` }, { _csrf: victor.csrf }] as Record<string, string>[]) {
      const refused = await post('start', alice.cookie, body);
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toContain('missing or wrong CSRF token: reload the page and try again; monitoring was not started');
    }
    expect(await post('start', '', { _csrf: alice.csrf })).toMatchObject({ statusCode: 303, headers: { location: '/dashboard/sign-in' } });
    expect((await post('pause', alice.cookie, { _csrf: alice.csrf })).statusCode).toBeGreaterThanOrEqual(400);
    expect(monitor.running).toBe(false);
    expect((await get('/audit?subject=monitoring')).json().records).toEqual([]);

    // The operator's form, exactly as the browser sends it: started, then stopped, each 303 back to the dashboard.
    const form = await overview(alice.cookie);
    expect(form).toContain('<form method="post" action="/dashboard/monitoring/start" class="monitoring-control">');
    expect(csrfFrom(form)).toBe(alice.csrf);
    expect(await post('start', alice.cookie, { _csrf: alice.csrf })).toMatchObject({ statusCode: 303, headers: { location: '/dashboard' } });
    expect(monitor.running).toBe(true);
    expect(await overview(alice.cookie)).toContain('<span class="badge good">active</span>');
    expect(await overview(alice.cookie)).toContain('data-command="stop">Stop monitoring</button>');
    expect(await post('stop', alice.cookie, { _csrf: alice.csrf })).toMatchObject({ statusCode: 303, headers: { location: '/dashboard' } });
    expect(await post('stop', alice.cookie, { _csrf: alice.csrf })).toMatchObject({ statusCode: 303 });
    expect(monitor.running).toBe(false);
    // The same records as POST /control/start-monitoring|stop-monitoring, under the session's principal.
    const principal = { id: expect.any(String), name: 'alice', kind: 'person', role: 'operator' };
    const records = (await get('/audit?subject=monitoring')).json().records as { action: string; actor: string; data: Record<string, unknown> }[];
    expect(records.map(({ action, actor, data }) => ({ action, actor, data }))).toEqual([
      { action: 'monitoring-started', actor: 'alice', data: { outcome: 'started', principal, authenticated_via: 'session' } },
      { action: 'monitoring-stopped', actor: 'alice', data: { outcome: 'stopped', principal, authenticated_via: 'session' } },
      { action: 'monitoring-stopped', actor: 'alice', data: { outcome: 'not_running', principal, authenticated_via: 'session' } },
    ]);
    const byToken = await app().inject({ method: 'POST', url: '/control/start-monitoring', headers: AUTHORIZED });
    expect(byToken.json()).toMatchObject({ status: 'started' });
    await app().inject({ method: 'POST', url: '/control/stop-monitoring', headers: AUTHORIZED });
    const api = (await get('/audit?subject=monitoring&action=monitoring-started')).json().records.at(-1) as { data: Record<string, unknown> };
    expect(Object.keys(api.data)).toEqual(Object.keys(records[0]!.data));
    expect(api.data).toMatchObject({ outcome: 'started', authenticated_via: 'token' });
  });

  it('shows a broken audit chain with the first bad record', async () => {
    await app().inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert({ alertname: 'MarketPredictorDown', service: 'market-predictor' })]) });
    await pendingAction();
    const file = new Database(join(started!.directory, 'devops-agent.sqlite'));
    try {
      file.exec('DROP TRIGGER audit_log_no_update');
      file.prepare(`UPDATE audit_log SET data = '{"tampered":true}' WHERE seq = 2`).run();
    } finally {
      file.close();
    }
    const verify = (await get('/audit/verify')).json();
    expect(verify).toMatchObject({ valid: false, broken_at: 2 });
    const audit = (await get('/dashboard/fragments/audit')).body;
    expect(audit).toContain('chain broken at 2');
  });
});
