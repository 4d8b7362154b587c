import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithComponent } from '@atb/testing';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alert, eventually, issueToken, notification, RealGateway, startAgent } from '../support/agent-harness.js';
import type { Page } from 'playwright-core';
import { type DashboardBrowser, openDashboardBrowser, probeChromium, signIn } from '../support/chromium.js';

const HOSTILE_SCRIPT = '<script>window.__xss = "script"</script>';
const HOSTILE_IMG = '"><img src=x onerror="window.__xss = \'img\'">';

/** Presses Tab from the top of the page until `selector` has the focus (at most `limit` presses). */
async function tabTo(page: Page, selector: string, limit = 40): Promise<void> {
  await page.locator('body').focus();
  for (let presses = 0; presses < limit; presses += 1) {
    await page.keyboard.press('Tab');
    if (await page.locator(selector).evaluate((element) => element === element.ownerDocument.activeElement)) return;
  }
  throw new Error(`${selector} never got the focus in ${limit} Tab presses`);
}

describeWithComponent('Chromium', await probeChromium(), 'install it with scripts/install-system-deps.sh (Debian package chromium)', () => {
  let gateway: RealGateway;
  let started: Awaited<ReturnType<typeof startAgent>>;
  let browser: DashboardBrowser;
  let baseUrl: string;

  beforeAll(async () => {
    gateway = new RealGateway({ targets: ['predictor-1'] });
    await gateway.start();
    started = await startAgent({ AI_COMMAND_GATEWAY_URL: gateway.url, MARKET_PREDICTOR_URL: gateway.url, SAFETY_MODE: 'true', DASHBOARD_SIGN_IN_REQUIRED: 'true' });
    baseUrl = await started.agent.listen();
    browser = await openDashboardBrowser('dashboard-chromium');
  });
  afterAll(async () => {
    await browser?.close();
    await started?.close();
    await gateway?.stop();
  });

  const statusOf = async (id: string) => ((await (await fetch(`${baseUrl}/actions/${id}`)).json()) as { status: string }).status;

  it('signs in with a token; a viewer sees no Approve and is 403; alice approves and the audit says alice; sign-out, CSRF and expiry', async () => {
    const firing = alert(
      { alertname: 'MarketPredictorDown', service: 'market-predictor', container: 'predictor-1', severity: 'critical' },
      { annotations: { summary: HOSTILE_SCRIPT, description: HOSTILE_IMG } },
    );
    const delivered = await fetch(`${baseUrl}/webhook/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification([firing])) });
    expect(delivered.status).toBe(200);
    const action = await eventually(
      async () => ((await (await fetch(`${baseUrl}/actions?status=pending`)).json()) as { actions: { id: string; incident_id: string }[] }).actions[0],
      10_000,
      'a pending action',
    );
    const alice = await issueToken(started.agent, { name: 'alice', role: 'operator' });
    const victor = await issueToken(started.agent, { name: 'victor', role: 'viewer' });

    const { context } = browser;
    const { page, problems } = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));

    // Signed out, the dashboard sends you to the sign-in form (under the same strict CSP).
    const first = await page.goto(`${baseUrl}/dashboard`);
    expect(page.url()).toBe(`${baseUrl}/dashboard/sign-in`);
    expect(first?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('#token').fill('atb_0123456789abcdef_not-a-real-token-not-a-real-token-not-a-rea');
    await page.locator('#sign-in-button').click();
    await expect.poll(() => page.locator('#sign-in-error').textContent()).toContain('unknown token');

    // A viewer reads, but sees no Approve button, and a forged post with its own CSRF token is 403.
    await signIn(page, baseUrl, victor);
    expect(await page.locator('#principal').textContent()).toBe('victor');
    const row = page.locator(`#pending-actions tr[data-action-id="${action.id}"]`);
    await expect.poll(() => row.textContent()).toContain('restart');
    expect(await row.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await row.textContent()).toContain('Deciding needs the operator role; victor is viewer.');
    expect(await page.locator('#monitoring').textContent()).toContain('stopped');
    expect(await page.locator('#monitoring-toggle').count()).toBe(0);
    const viewerCsrf = await page.locator('form.sign-out input[name="_csrf"]').getAttribute('value');
    const forged = await context.request.post(`${baseUrl}/dashboard/actions/${action.id}/approve`, { form: { _csrf: viewerCsrf ?? '', reason: 'me too' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('operator role');
    expect(await statusOf(action.id)).toBe('pending');

    // Sign out: the session ends server-side; the dashboard asks for sign-in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${baseUrl}/dashboard/sign-in`);
    await page.goto(`${baseUrl}/dashboard`);
    expect(page.url()).toBe(`${baseUrl}/dashboard/sign-in`);

    await signIn(page, baseUrl, alice);
    expect(await page.locator('#identity').textContent()).toContain('Signed in as alice (operator)');
    const [session] = (await context.cookies(`${baseUrl}/dashboard`)).filter((cookie) => cookie.name === 'atb_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/dashboard', secure: false }); // plain HTTP here: not Secure
    expect(await page.evaluate('document.cookie')).not.toContain('atb_session');

    // A form post without the CSRF token is refused, even with alice's session cookie.
    const withoutCsrf = await context.request.post(`${baseUrl}/dashboard/actions/${action.id}/approve`, { form: { reason: 'no csrf' }, maxRedirects: 0 });
    expect(withoutCsrf.status()).toBe(403);
    expect(await withoutCsrf.text()).toContain('CSRF');
    expect(await statusOf(action.id)).toBe('pending');
    expect(gateway.commandRequests()).toHaveLength(0);

    // Reject needs a reason: the browser refuses the empty field, nothing is sent.
    await expect.poll(() => row.getByRole('button', { name: 'Approve' }).count()).toBe(1);
    await row.getByRole('button', { name: 'Reject' }).click();
    expect(await row.locator('input[name="reason"]').evaluate((input) => (input as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing)).toBe(true);
    expect(requests.filter((url) => url.includes('/reject'))).toEqual([]);

    await row.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${baseUrl}/dashboard?decided=${action.id}`);
    await expect.poll(() => page.locator('#flash').textContent()).toMatch(/restart predictor-1: (approved|running|succeeded) by alice/);
    await expect.poll(() => page.locator('#pending-actions').textContent(), { timeout: 10_000 }).toContain('Nothing waits for approval.');
    await eventually(() => gateway.commandRequests().length === 1, 10_000, 'the restart request at the gateway');
    expect(gateway.commandRequests()[0]!.body).toMatchObject({
      target_resource: { name: 'predictor-1' },
      action_request: { intent: 'restart the predictor-1 container', context: { approved_by: 'alice' } },
    });
    const audit = (await (await fetch(`${baseUrl}/audit?action=action-approved`)).json()) as { records: { actor: string; data: Record<string, unknown> }[] };
    expect(audit.records).toEqual([
      expect.objectContaining({ actor: 'alice', data: expect.objectContaining({ action_id: action.id, authenticated_via: 'session', principal: expect.objectContaining({ name: 'alice', role: 'operator' }) }) }),
    ]);
    const keep = process.env.DASHBOARD_SCREENSHOT; // set it to look at the pages once
    if (keep) writeFileSync(keep.replace(/\.png$/, '-main.png'), await page.screenshot({ fullPage: true }));

    // The incident page: the approver by name, hostile annotations shown as text.
    await page.locator(`#incidents a[href="/dashboard/incidents/${action.incident_id}"]`).click();
    await page.waitForURL(`${baseUrl}/dashboard/incidents/${action.incident_id}`);
    const incident = page.locator('#incident');
    await expect.poll(() => incident.textContent()).toContain('Confidence');
    expect(await incident.textContent()).toContain('alice');
    expect(await incident.textContent()).toContain(HOSTILE_SCRIPT);
    expect(await incident.textContent()).toContain(HOSTILE_IMG);
    expect(await page.locator('#incident img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: string }).__xss)).toBeUndefined();

    // An expired session: the next page load goes to the sign-in form.
    const database = new Database(join(started.directory, 'devops-agent.sqlite'));
    try {
      expect(database.prepare("UPDATE dashboard_sessions SET expires_at = '2000-01-01T00:00:00.000Z'").run().changes).toBeGreaterThan(0);
    } finally {
      database.close();
    }
    await page.goto(`${baseUrl}/dashboard`);
    expect(page.url()).toBe(`${baseUrl}/dashboard/sign-in`);

    // Everything the page loaded came from the agent itself (no CDN; works offline).
    expect(requests.every((url) => url.startsWith(baseUrl))).toBe(true);
    const screenshot = await page.screenshot({ fullPage: true });
    expect(screenshot.subarray(1, 4).toString('latin1')).toBe('PNG');
    if (keep) writeFileSync(keep, screenshot);
    expect(problems).toEqual([]);
    await page.close();
  });
  it('an operator starts and stops monitoring from the overview by keyboard; the page shows each new state and the audit names the session', async () => {
    const olga = await issueToken(started.agent, { name: 'olga', role: 'operator' });
    const { page, problems } = await browser.newPage();
    await signIn(page, baseUrl, olga);
    const state = page.locator('#monitoring');
    const toggle = page.locator('#monitoring-toggle');
    expect(await state.textContent()).toContain('stopped');
    expect(await toggle.textContent()).toBe('Start monitoring');

    await tabTo(page, '#monitoring-toggle');
    expect(await toggle.evaluate((element) => (globalThis as unknown as { getComputedStyle(of: unknown): { outlineStyle: string } }).getComputedStyle(element).outlineStyle)).toBe('solid'); // the visible focus ring
    await page.keyboard.press('Enter');
    await expect.poll(() => toggle.textContent(), { timeout: 10_000 }).toBe('Stop monitoring');
    expect(page.url()).toBe(`${baseUrl}/dashboard`);
    expect(await state.textContent()).toContain('active');
    expect(started.agent.agent.monitor.running).toBe(true);

    await tabTo(page, '#monitoring-toggle');
    await page.keyboard.press('Enter');
    await expect.poll(() => toggle.textContent(), { timeout: 10_000 }).toBe('Start monitoring');
    expect(await state.textContent()).toContain('stopped');
    expect(started.agent.agent.monitor.running).toBe(false);

    const audit = (await (await fetch(`${baseUrl}/audit?subject=monitoring`)).json()) as { records: { action: string; actor: string; data: Record<string, unknown> }[] };
    expect(audit.records.map(({ action, actor, data }) => [action, actor, data.outcome, data.authenticated_via])).toEqual([
      ['monitoring-started', 'olga', 'started', 'session'],
      ['monitoring-stopped', 'olga', 'stopped', 'session'],
    ]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
